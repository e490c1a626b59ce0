package distributer

import "github.com/distributer/distributer/driver"

// DriverConn returns the driver's connection under d, for tools that need
// what only one driver offers, as database/sql's Conn.Raw hands out the
// driver's connection: drivers/amqp's NewAdmin, for example, inspects and
// manages RabbitMQ queues through it (cmd/distctl). Publishing or
// subscribing on it bypasses the runtime (no message id, size limit,
// validation, logging or bounded close): use d's methods for that. It is
// closed by d.Close; do not close it yourself.
func (d *Distributer) DriverConn() driver.Conn { return d.conn }
