package vault

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"
)

// keyFormHint is the part of every key error that says what a key looks like.
const keyFormHint = "secret key must be 64 hexadecimal characters (32 random bytes), as `openssl rand -hex 32` prints"

// maxKeyFileSize bounds what LoadOrCreateKeyFile reads; a real key file is 65 bytes.
const maxKeyFileSize = 4096

// ParseKey decodes a secret key written as 64 hexadecimal characters,
// ignoring surrounding whitespace. An all-zero key is refused as a
// placeholder. Errors never quote the key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) != 2*KeySize {
		return nil, fmt.Errorf("%s; got %d characters", keyFormHint, utf8.RuneCountInString(s))
	}
	key, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s; got a character that is not hexadecimal", keyFormHint)
	}
	zero := true
	for _, b := range key {
		zero = zero && b == 0
	}
	if zero {
		return nil, fmt.Errorf("%s; got all zeros, which is a placeholder, not a secret", keyFormHint)
	}
	return key, nil
}

// LoadOrCreateKeyFile reads the secret key from the file at path, or, when
// there is none, creates it with a new random key (64 hexadecimal characters
// and a newline, mode 0600, parent directories mode 0700) and reports
// created=true. The file appears atomically and is never overwritten, so
// processes starting at the same time all end up with the same key. A key
// file that group or other users could read is refused.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	if path == "" {
		return nil, false, errors.New("secret key file path is empty")
	}
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created the file first: its key is the key.
		key, err = readKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return key, true, nil
}

// readKeyFile returns an error matching fs.ErrNotExist when there is no file.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secret key file %s is not a regular file", path)
	}
	// Windows reports no Unix permission bits, so the check means nothing there.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s can be read by other users (mode %04o); run `chmod 600 %s` and start again",
			path, perm, shellQuote(path))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize))
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	key, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new key to a temporary file in the same directory,
// syncs it, then hard-links it into place: the link fails with fs.ErrExist
// instead of replacing a file another process made, and readers never see
// a partly written key.
func createKeyFile(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create directory for secret key file: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("create secret key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write secret key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("put secret key file in place: %w", err)
	}
	os.Remove(tmp.Name())
	syncDir(dir)
	return key, nil
}

// syncDir makes the new directory entry durable. It is best effort: some
// file systems refuse to sync directories, and the file is in place anyway.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// shellQuote returns path as it must be typed in a POSIX shell.
func shellQuote(path string) string {
	if path != "" && strings.Trim(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@") == "" {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
