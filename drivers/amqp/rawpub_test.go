package amqp_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"
	"time"
)

// rawPublisher speaks just enough AMQP 0-9-1 over TCP to publish messages
// whose header table is given as raw octets, which no client library
// would encode: the protocol header, connection.start-ok (PLAIN),
// tune-ok, open, channel.open, confirm.select, then basic.publish with
// its content header and body frames, each confirmed by the broker.
type rawPublisher struct {
	t        testing.TB
	c        net.Conn
	r        *bufio.Reader
	frameMax int
	tag      uint64
}

// rawMessage is one message: its header table (a long string of field
// table octets, or nil for none), message id and body.
type rawMessage struct {
	headers []byte
	id      string
	body    []byte
}

func dialRaw(t testing.TB, raw string) *rawPublisher {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5672")
	}
	user, pass := "guest", "guest"
	if u.User != nil {
		user = u.User.Username()
		if p, ok := u.User.Password(); ok {
			pass = p
		}
	}
	vhost := "/"
	if u.Path != "" && u.Path != "/" {
		vhost = u.Path[1:]
	}
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	p := &rawPublisher{t: t, c: c, r: bufio.NewReader(c)}
	t.Cleanup(func() { _ = c.Close() })
	if _, err := c.Write([]byte("AMQP\x00\x00\x09\x01")); err != nil {
		t.Fatal(err)
	}
	p.expect(0, 10, 10) // connection.start
	p.method(0, 10, 11, // start-ok
		[]byte{0, 0, 0, 0}, // client properties
		shortstr("PLAIN"), longstr([]byte("\x00"+user+"\x00"+pass)), shortstr("en_US"))
	tune := p.expect(0, 10, 30)
	p.frameMax = int(binary.BigEndian.Uint32(tune[2:6]))
	if p.frameMax == 0 {
		p.frameMax = 1 << 20
	}
	p.method(0, 10, 31, tune[0:2], tune[2:6], []byte{0, 0}) // tune-ok, no heartbeats
	p.method(0, 10, 40, shortstr(vhost), shortstr(""), []byte{0})
	p.expect(0, 10, 41) // open-ok
	p.method(1, 20, 10, shortstr(""))
	p.expect(1, 20, 11) // channel.open-ok
	p.method(1, 85, 10, []byte{0})
	p.expect(1, 85, 11) // confirm.select-ok
	return p
}

func shortstr(s string) []byte { return append([]byte{byte(len(s))}, s...) }

func longstr(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

func (p *rawPublisher) frame(typ byte, ch uint16, payload []byte) {
	p.t.Helper()
	if err := p.write(typ, ch, payload); err != nil {
		p.t.Fatal(err)
	}
}

func (p *rawPublisher) write(typ byte, ch uint16, payload []byte) error {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint16(b, ch)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = append(append(b, payload...), 0xCE)
	_, err := p.c.Write(b)
	return err
}

func methodPayload(class, id uint16, args ...[]byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, class)
	b = binary.BigEndian.AppendUint16(b, id)
	for _, a := range args {
		b = append(b, a...)
	}
	return b
}

func (p *rawPublisher) method(ch, class, id uint16, args ...[]byte) {
	p.t.Helper()
	p.frame(1, ch, methodPayload(class, id, args...))
}

// read reads one frame; heartbeats are skipped.
func (p *rawPublisher) read() (typ byte, ch uint16, payload []byte) {
	p.t.Helper()
	typ, ch, payload, err := p.readFrame()
	if err != nil {
		p.t.Fatalf("raw publisher: read: %v", err)
	}
	return typ, ch, payload
}

func (p *rawPublisher) readFrame() (typ byte, ch uint16, payload []byte, err error) {
	for {
		var h [7]byte
		if _, err := io.ReadFull(p.r, h[:]); err != nil {
			return 0, 0, nil, err
		}
		payload = make([]byte, binary.BigEndian.Uint32(h[3:7])+1)
		if _, err := io.ReadFull(p.r, payload); err != nil {
			return 0, 0, nil, err
		}
		if h[0] != 8 {
			return h[0], binary.BigEndian.Uint16(h[1:3]), payload[:len(payload)-1], nil
		}
	}
}

// expect reads a method frame and returns its arguments; a close from the
// broker fails the test with its reply text.
func (p *rawPublisher) expect(ch, class, id uint16) []byte {
	p.t.Helper()
	typ, gotCh, pl := p.read()
	if typ != 1 || len(pl) < 4 {
		p.t.Fatalf("raw publisher: frame type %d, want a method", typ)
	}
	c, m := binary.BigEndian.Uint16(pl[0:2]), binary.BigEndian.Uint16(pl[2:4])
	if c == 10 && m == 50 || c == 20 && m == 40 { // connection.close, channel.close
		code := binary.BigEndian.Uint16(pl[4:6])
		text := pl[7 : 7+int(pl[6])]
		p.t.Fatalf("raw publisher: broker closed the %s: %d %s", map[uint16]string{10: "connection", 20: "channel"}[c], code, text)
	}
	if gotCh != ch || c != class || m != id {
		p.t.Fatalf("raw publisher: got method %d.%d on channel %d, want %d.%d on %d", c, m, gotCh, class, id, ch)
	}
	return pl[4:]
}

// publish publishes m persistently, content type application/json, and
// waits for the broker's confirm.
func (p *rawPublisher) publish(exchange, key string, m rawMessage) {
	p.t.Helper()
	p.method(1, 60, 40, []byte{0, 0}, shortstr(exchange), shortstr(key), []byte{0})
	flags := uint16(0x8000 | 0x1000 | 0x0080) // content type, delivery mode, message id
	if m.headers != nil {
		flags |= 0x2000
	}
	h := []byte{0, 60, 0, 0}
	h = binary.BigEndian.AppendUint64(h, uint64(len(m.body)))
	h = binary.BigEndian.AppendUint16(h, flags)
	h = append(h, shortstr("application/json")...)
	h = append(h, m.headers...)
	h = append(h, 2) // persistent
	h = append(h, shortstr(m.id)...)
	if len(h) > p.frameMax-8 {
		p.t.Fatalf("raw publisher: content header of %d octets, the broker's frame_max is %d", len(h), p.frameMax)
	}
	p.frame(2, 1, h)
	for b := m.body; len(b) > 0; {
		n := min(len(b), p.frameMax-8)
		p.frame(3, 1, b[:n])
		b = b[n:]
	}
	p.tag++
	ack := p.expect(1, 60, 80) // basic.ack
	if tag := binary.BigEndian.Uint64(ack[0:8]); tag != p.tag {
		p.t.Fatalf("raw publisher: ack of %d, want %d", tag, p.tag)
	}
}

// close closes the connection with the close handshake, as far as it goes
// (a test that failed may have left the connection broken).
func (p *rawPublisher) close() {
	defer p.c.Close()
	_ = p.c.SetDeadline(time.Now().Add(5 * time.Second))
	if p.write(1, 0, methodPayload(10, 50, []byte{0, 200}, shortstr(""), []byte{0, 0, 0, 0})) != nil {
		return
	}
	for {
		typ, ch, pl, err := p.readFrame()
		if err != nil || typ == 1 && ch == 0 && len(pl) >= 4 && binary.BigEndian.Uint16(pl[0:2]) == 10 && binary.BigEndian.Uint16(pl[2:4]) == 51 {
			return
		}
	}
}

// Header tables, octet by octet.

// fieldTable is a field table (a long string) of the given entries.
func fieldTable(entries ...[]byte) []byte {
	var b []byte
	for _, e := range entries {
		b = append(b, e...)
	}
	return longstr(b)
}

// field is one table entry: name, type octet, encoded value.
func field(name string, typ byte, value []byte) []byte {
	return append(append(shortstr(name), typ), value...)
}

// floodTable is a header table of n distinct entries (short strings).
func floodTable(n int) []byte {
	var b []byte
	for i := range n {
		b = append(b, field(fmt.Sprintf("h%05d", i), 't', []byte{1})...)
	}
	return longstr(b)
}
