package tlog

import (
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/cerro-torre/ct/lib/exit"
)

// maxVKeyFile bounds a verifier key file: a key is well under 200 bytes.
const maxVKeyFile = 4096

// VKeyArg resolves a verifier key given on the command line (ct policy
// add-log, add-witness; --log-key and --witness of ct log submit, ct sign
// and ct log monitor): the key itself, NAME+HASH+BASE64, or a regular
// file holding it on one line, as `ct-log serve --print-vkey > log.vkey`
// and `ct-witness serve --print-vkey > w1.vkey` write it. The key is not
// checked here: the policy parser does that, naming the field.
func VKeyArg(arg, what string) (string, error) {
	fi, err := os.Stat(arg)
	if err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		// /dev/zero, a FIFO, a socket: never read (it may not end).
		return "", exit.New(exit.IO, "not a regular file (%s): a %s verifier key file is a regular file", kindOf(fi.Mode()), what).At(arg).
			WithHint("%s", VKeyHint(what))
	}
	if err == nil && fi.Mode().IsRegular() {
		// O_NONBLOCK: a FIFO swapped in since the Stat must not block
		// the open; the Fstat below refuses it.
		f, err := os.OpenFile(arg, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return "", exit.Wrap(exit.IO, err, "cannot read the %s verifier key file", what).At(arg)
		}
		defer f.Close()
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			return "", exit.New(exit.IO, "not a regular file: a %s verifier key file is a regular file", what).At(arg).
				WithHint("%s", VKeyHint(what))
		}
		data, err := io.ReadAll(io.LimitReader(f, maxVKeyFile+1))
		if err != nil {
			return "", exit.Wrap(exit.IO, err, "cannot read the %s verifier key file", what).At(arg)
		}
		key := string(bytes.TrimSpace(data))
		switch {
		case len(data) > maxVKeyFile:
			return "", exit.New(exit.Malformed, "more than %d bytes: not a %s verifier key file", maxVKeyFile, what).At(arg).
				WithHint("a verifier key file holds one line, NAME+HASH+BASE64, as --print-vkey writes it")
		case key == "" || strings.ContainsAny(key, "\r\n"):
			return "", exit.New(exit.Malformed, "not one line: a %s verifier key file holds exactly one key", what).At(arg).
				WithHint("a verifier key file holds one line, NAME+HASH+BASE64, as --print-vkey writes it")
		}
		k, err := checkVKeyKind(key, what)
		if e, ok := err.(*exit.Error); ok {
			err = e.At(arg) // name the file the key came from
		}
		return k, err
	}
	if k, u, ok := strings.Cut(arg, "="); ok && (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
		// Keys are base64 of 33 bytes (44 characters, no '=' padding), so
		// "=http" is the VKEY=URL form of ct-log serve --witness.
		return "", exit.New(exit.Usage, "%q is a %s key and a URL (VKEY=URL, as ct-log serve --witness takes them); here give the key alone", arg, what).
			WithHint("only the log pushes checkpoints to witnesses and needs their URLs; give %s", k)
	}
	if !strings.Contains(arg, "+") {
		return "", exit.New(exit.Usage, "%q is neither a %s verifier key (NAME+HASH+BASE64) nor a file", arg, what).
			WithHint("%s", VKeyHint(what))
	}
	return checkVKeyKind(arg, what)
}

// checkVKeyKind refuses a witness key given as a log's and the reverse:
// both come out of --print-vkey and look alike.
func checkVKeyKind(arg, what string) (string, error) {
	if alg, ok := vkeyAlg(arg); ok {
		switch {
		case what == "log" && alg == algCosignatureV1:
			return "", exit.New(exit.Usage, "%q is a witness's cosignature/v1 verifier key (key type 0x04), not a log's", arg).
				WithHint("give it as a witness (--witness, ct policy add-witness); %s", VKeyHint("log"))
		case what == "witness" && alg == algEd25519:
			return "", exit.New(exit.Usage, "%q is a log's Ed25519 note verifier key (key type 0x01), not a witness's", arg).
				WithHint("give it as a log (--log-key, ct policy add-log); %s", VKeyHint("witness"))
		}
	}
	return arg, nil
}

// VKeyHint says where the verifier key of a log or a witness comes from.
func VKeyHint(what string) string {
	if what == "witness" {
		return "the witness's operator prints it: ct-witness serve --key KEY --name NAME --print-vkey > w1.vkey; then give w1.vkey or the line it holds"
	}
	return "the log's operator prints it: ct-log serve --key KEY --origin ORIGIN --print-vkey > log.vkey; then give log.vkey or the line it holds"
}

const (
	algEd25519       = 0x01
	algCosignatureV1 = 0x04
)

// vkeyAlg is the key type byte of a verifier key NAME+HASH+BASE64, when
// the key has that shape; the note package checks the rest.
func vkeyAlg(vkey string) (byte, bool) {
	parts := strings.SplitN(vkey, "+", 3) // name, hash, base64 (which may hold '+')
	if len(parts) != 3 {
		return 0, false
	}
	b, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(b) == 0 {
		return 0, false
	}
	return b[0], true
}

// kindOf names what a non-regular file is, for a message.
func kindOf(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}
