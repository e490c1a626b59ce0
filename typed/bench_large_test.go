package typed_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/distributer/distributer/typed"
)

// BenchmarkValidateLarge measures validation of 1, 10 and 30 MB bodies
// (issue 10, item 3): an array [0,0,...] that is valid (the fast path),
// invalid at its root (an object is wanted) and invalid in every item
// (strings are wanted: the case that cost jsonschema 39 s and 2.5 GB at
// 30 MB); and an object {"k0":0,...} invalid in every member. ns/B is the time per body byte, alloc-B/B the bytes allocated
// per body byte.
func BenchmarkValidateLarge(b *testing.B) {
	s, err := typed.Compile(map[string]string{
		"ints.json":    `{"type": "array", "items": {"type": "integer", "minimum": 0}}`,
		"object.json":  `{"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}`,
		"strings.json": `{"type": "array", "items": {"type": "string"}}`,
		"members.json": `{"type": "object", "additionalProperties": {"type": "string"}}`,
	}, map[string]string{"ints": "ints.json", "object": "object.json", "strings": "strings.json", "members": "members.json"})
	if err != nil {
		b.Fatal(err)
	}
	for _, mb := range []int{1, 10, 30} {
		size := mb << 20
		body := append([]byte("["), bytes.Repeat([]byte("0,"), size/2)...)
		body[len(body)-1] = ']'
		var obj bytes.Buffer
		obj.WriteByte('{')
		for i := 0; obj.Len() < size; i++ {
			fmt.Fprintf(&obj, `"k%d":0,`, i)
		}
		members := obj.Bytes()
		members[len(members)-1] = '}'
		for _, c := range []struct {
			name, topic string
			body        []byte
		}{
			{"valid", "ints", body}, {"invalid-root", "object", body}, {"invalid-items", "strings", body},
			{"invalid-members", "members", members},
		} {
			b.Run(fmt.Sprintf("%dMB/%s", mb, c.name), func(b *testing.B) {
				var m0, m1 runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m0)
				b.ResetTimer()
				for b.Loop() {
					err := s.Validate(c.topic, c.body)
					if (err == nil) != (c.name == "valid") {
						b.Fatalf("Validate = %v", err)
					}
				}
				b.StopTimer()
				runtime.ReadMemStats(&m1)
				per := float64(b.N) * float64(len(c.body))
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/B")
				b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/per, "alloc-B/B")
			})
		}
	}
}
