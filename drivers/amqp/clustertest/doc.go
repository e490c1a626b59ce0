// Package clustertest holds the RabbitMQ cluster failover tests and the
// cluster benchmark of the AMQP driver (issue 7). They start a private
// 3-node cluster on loopback (see internal/rabbitnode), kill and stop its
// nodes, and never touch the broker on 127.0.0.1:5672.
//
// The tests carry the build tag clustertest so that `go test ./...`, which
// runs packages in parallel, does not compile them: `make test` runs them
// afterwards, alone, with
//
//	go test -race -count=1 -p 1 -tags clustertest -run Cluster ./internal/rabbitnode/ ./drivers/amqp/clustertest/
//
// and `make bench` runs the cluster benchmark the same way.
package clustertest
