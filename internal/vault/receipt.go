package vault

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"fmt"
)

// A receipt code carries, encrypted, where its signature is and a secret
// that proves it was given to that signer: 40 bits of row id and 40 random
// bits, enciphered together as one 80-bit block so the code reveals neither
// (it looks like 80 random bits, as a repeat signer's random code does). The
// row stores only a keyed hash of the secret. Looking a code up is a
// primary-key read, so signatures need no index on their receipts: one
// random-order index fewer to update on every insert of a flood.

// receiptRounds is the number of Feistel rounds; with a keyed PRF as the
// round function, four already give a strong pseudorandom permutation.
const receiptRounds = 8

// MaxReceiptRowID is the largest row id a receipt code can carry.
const MaxReceiptRowID = 1<<40 - 1

// NewReceiptSecret returns the random 40-bit secret of a new receipt.
func NewReceiptSecret() (uint64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:5]); err != nil {
		return 0, fmt.Errorf("vault: receipt secret: %w", err)
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// ReceiptSecretHash is the keyed hash of a receipt secret stored in the
// signature's row.
func (v *Vault) ReceiptSecretHash(secret uint64) []byte {
	var b [5]byte
	putUint40(b[:], secret)
	return mac(v.receiptKey, b[:])[:LookupHashSize]
}

// ReceiptCode enciphers a row id and its secret into a code such as
// "K7QF-3M9X-TA2P-W8RZ".
func (v *Vault) ReceiptCode(rowID int64, secret uint64) string {
	if rowID < 0 || rowID > MaxReceiptRowID {
		panic("vault: receipt row id out of range")
	}
	l, r := uint64(rowID), secret&(1<<40-1)
	for i := 0; i < receiptRounds; i++ {
		l, r = r, l^v.receiptRound(i, r)
	}
	var raw [10]byte
	putUint40(raw[:5], l)
	putUint40(raw[5:], r)
	s := base32.NewEncoding(crockford).WithPadding(base32.NoPadding).EncodeToString(raw[:])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// OpenReceiptCode deciphers a code typed by a signer. ok is false when it is
// not 16 Crockford characters; any well-formed code opens to some row id and
// secret, and only the stored hash tells whether they belong together.
func (v *Vault) OpenReceiptCode(code string) (rowID int64, secret uint64, ok bool) {
	norm := NormalizeReceipt(code)
	if len(norm) != 16 {
		return 0, 0, false
	}
	raw, err := base32.NewEncoding(crockford).WithPadding(base32.NoPadding).DecodeString(norm)
	if err != nil || len(raw) != 10 {
		return 0, 0, false
	}
	l, r := uint40(raw[:5]), uint40(raw[5:])
	for i := receiptRounds - 1; i >= 0; i-- {
		l, r = r^v.receiptRound(i, l), l
	}
	return int64(l), r, true
}

func (v *Vault) receiptRound(i int, half uint64) uint64 {
	var in [6]byte
	in[0] = byte(i)
	putUint40(in[1:], half)
	out := mac(v.receiptKey, append([]byte("receipt-round"), in[:]...))
	return uint40(out[:5])
}

func putUint40(b []byte, x uint64) {
	for i := 0; i < 5; i++ {
		b[i] = byte(x >> (8 * (4 - i)))
	}
}

func uint40(b []byte) uint64 {
	var x uint64
	for i := 0; i < 5; i++ {
		x = x<<8 | uint64(b[i])
	}
	return x
}
