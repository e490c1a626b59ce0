package topic_test

import (
	"fmt"

	"github.com/distributer/distributer/topic"
)

// Patterns match topics word by word, as a RabbitMQ topic exchange does:
// '*' is exactly one word, '#' zero or more.
func ExampleMatch() {
	for _, c := range []struct{ pattern, topic string }{
		{"raw.*", "raw.pose"},
		{"raw.*", "raw.pose.v2"},
		{"raw.#", "raw.pose.v2"},
		{"raw.#", "raw"},
		{"*.pose", "parsed.pose"},
	} {
		fmt.Printf("%-7s %-12s %v\n", c.pattern, c.topic, topic.Match(c.pattern, c.topic))
	}
	fmt.Println(topic.ValidateTopic("raw..pose") != nil)
	// Output:
	// raw.*   raw.pose     true
	// raw.*   raw.pose.v2  false
	// raw.#   raw.pose.v2  true
	// raw.#   raw          true
	// *.pose  parsed.pose  true
	// true
}
