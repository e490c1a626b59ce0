package amqp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// pki is a private CA with a server certificate (localhost, 127.0.0.1) and
// a client certificate, as PEM files.
type pki struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "distributer test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) (cert, key string) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(cn+".pem", "CERTIFICATE", der), write(cn+"-key.pem", "PRIVATE KEY", kder)
	}
	var p pki
	p.ca = write("ca.pem", "CERTIFICATE", caDER)
	p.serverCert, p.serverKey = leaf(2, "server", x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf(3, "client", x509.ExtKeyUsageClientAuth)
	return p
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// amqps with the CA, a client certificate and the server name: messages
// flow. Without the CA the certificate is refused, and the error says so;
// with verify=verify_none it is not checked.
func testTLS(t *testing.T, p pki, base string) {
	raw := withQuery(t, base, "exchange", uniqueName(t), "cacertfile", p.ca, "certfile", p.clientCert, "keyfile", p.clientKey,
		"server_name_indication", "localhost")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatalf("Open amqps: %v", err)
	}
	defer d.Close()
	got := make(chan *distributer.Message, 1)
	if _, err := d.Subscribe(ctx, []string{"tls.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- m
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "tls.hello", []byte(`{"secure":true}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Body) != `{"secure":true}` {
			t.Errorf("got %s", m.Body)
		}
	case <-ctx.Done():
		t.Fatal("no delivery over TLS")
	}

	noCA := withQuery(t, base, "certfile", p.clientCert, "keyfile", p.clientKey, "connect_timeout", "5s")
	_, err = distributer.Open(ctx, noCA)
	if !errors.Is(err, amqp.ErrUnreachable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Open amqps without the CA = %v, want a certificate error", err)
	}

	// verify=verify_none: the server's certificate is not checked, so the
	// same URL without the CA connects.
	d2, err := distributer.Open(ctx, withQuery(t, noCA, "verify", "verify_none"))
	if err != nil {
		t.Fatalf("Open amqps with verify=verify_none and no CA: %v", err)
	}
	if err := d2.Publish(ctx, "tls.unverified", []byte(`{}`)); err != nil {
		t.Errorf("Publish with verify=verify_none: %v", err)
	}
	_ = d2.Close()
}
