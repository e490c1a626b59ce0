package typed

// FamilyDecode decodes body, a message on topic, into the field of its part
// of p, as a family subscription does (for the benchmarks).
func FamilyDecode[P any](f *Family[P], topic string, body []byte, p *P) error {
	for i := range f.parts {
		if f.parts[i].topic == topic {
			return f.parts[i].decode(p, body)
		}
	}
	return &MisroutedError{Topic: topic, Want: f.pattern}
}
