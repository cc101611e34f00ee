package quicnet

import (
	"bufio"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"time"
)

const (
	// ALPN is the TLS application protocol both sides must offer.
	ALPN = "dlua/2"
	// ProtocolVersion is the version of the handshake and frame format
	// this package speaks; both sides must speak the same.
	ProtocolVersion = 2

	// exporterLabel is the TLS exporter label (RFC 8446 §7.5) of the
	// secret that cookie proofs are bound to.
	exporterLabel = "EXPORTER-dlua-cookie-proof"
	// proofLabel starts every cookie proof.
	proofLabel = "dlua/1 cookie proof\x00"
	// roleDialer and roleAcceptor keep a proof from being reflected.
	roleDialer   = "dialer"
	roleAcceptor = "acceptor"

	// maxHandshakeMsg bounds a hello or proof message, in bytes.
	maxHandshakeMsg = 4096
	// headerLen is the length prefix of every frame: uint32, big-endian.
	headerLen = 4
)

// hello is the first message of each side.
type hello struct {
	Version  uint16 `cbor:"1,keyasint"`
	Cluster  string `cbor:"2,keyasint"`
	Node     string `cbor:"3,keyasint"`
	Creation uint32 `cbor:"4,keyasint"`
	Addr     string `cbor:"5,keyasint,omitempty"`
	// Compiler is the sender's CodeCodec.Compiler, if it has a CodeCodec.
	Compiler string `cbor:"6,keyasint,omitempty"`
	// MaxMessage is the largest message the sender accepts, in bytes.
	MaxMessage uint64 `cbor:"7,keyasint"`
	// Hidden marks a hidden node (Config.Hidden).
	Hidden bool `cbor:"8,keyasint,omitempty"`
	// MaxFrame is the largest frame body the sender accepts, in bytes.
	MaxFrame uint32 `cbor:"9,keyasint"`
}

// proofMsg carries a cookie proof.
type proofMsg struct {
	MAC []byte `cbor:"1,keyasint"`
}

// newCertificate makes the node's ephemeral self-signed certificate. It
// only gives TLS a key to run with: peers are admitted by the cookie
// proof, not by the certificate.
func newCertificate(name string) (tls.Certificate, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "dlua node " + name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"dlua"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}, nil
}

// proof computes the cookie proof of one side of a connection:
// HMAC-SHA256(cookie, label || exporter || dialer name, creation ||
// acceptor name, creation || cluster || role), every string length-prefixed.
// The exporter is unique to the TLS session, so a proof is worth nothing
// on another connection; the role keeps a peer from echoing ours back.
func proof(cookie, exporter []byte, dialer, acceptor *hello, cluster, role string) []byte {
	m := hmac.New(sha256.New, cookie)
	m.Write([]byte(proofLabel))
	writeLP := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		m.Write(n[:])
		m.Write(b)
	}
	writeU32 := func(x uint32) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], x)
		m.Write(n[:])
	}
	writeLP(exporter)
	writeLP([]byte(dialer.Node))
	writeU32(dialer.Creation)
	writeLP([]byte(acceptor.Node))
	writeU32(acceptor.Creation)
	writeLP([]byte(cluster))
	writeLP([]byte(role))
	return m.Sum(nil)
}

// appendFrame appends a length-prefixed frame body to dst.
func appendFrame(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}

// readFrame reads one length-prefixed frame body into buf (grown as
// needed) and returns it. A length above limit returns the length and
// ErrFrameTooBig without reading the body.
func readFrame(r *bufio.Reader, buf []byte, limit int) ([]byte, int, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return buf, 0, err
	}
	n := int(binary.BigEndian.Uint32(h[:]))
	if n > limit {
		return buf, n, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooBig, n, limit)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf, n, err
	}
	return buf, n, nil
}
