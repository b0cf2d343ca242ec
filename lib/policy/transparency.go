package policy

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/cerro-torre/ct/lib/tlog"
)

// MaxLogs bounds transparency.logs and transparency.witnesses.
const MaxLogs = 64

// Transparency is the policy's transparency section (policy.md §4.6): the
// logs and witnesses the verifier trusts, how many distinct trusted logs
// must hold each counted signature, and how many distinct trusted
// witnesses must cosign the checkpoint of each such proof.
type Transparency struct {
	Logs          []Log     `json:"logs,omitempty"`
	Witnesses     []Witness `json:"witnesses,omitempty"`
	LogsRequired  int       `json:"logs_required"`
	WitnessQuorum int       `json:"witness_quorum"`
}

// Log is a trusted log: its origin and its note verifier key (log.md §3).
type Log struct {
	Origin string `json:"origin"`
	Key    string `json:"key"`
}

// Witness is a trusted witness: its cosignature/v1 verifier key, which
// carries its name (log.md §3).
type Witness struct {
	Key string `json:"key"`
}

// Trust returns what the section trusts, for tlog.Verify. A nil section
// trusts nothing (only the Merkle path of a proof is checkable then).
func (t *Transparency) Trust() (*tlog.Trust, error) {
	if t == nil {
		return nil, nil
	}
	logs := map[string]string{}
	for _, l := range t.Logs {
		logs[l.Origin] = l.Key
	}
	var ws []string
	for _, w := range t.Witnesses {
		ws = append(ws, w.Key)
	}
	return tlog.NewTrust(logs, ws)
}

// transparency reads the transparency section (policy.md §4.6).
func (p *parser) transparency(at string) (*Transparency, error) {
	t := &Transparency{}
	var logsOff, quorumOff, reqOff, witOff int64
	haveReq := false
	start, err := p.object(at, func(key, kat string, off int64) error {
		var err error
		switch key {
		case "logs":
			logsOff = off
			t.Logs, err = p.logs(kat)
		case "witnesses":
			witOff = off
			t.Witnesses, err = p.witnesses(kat)
		case "logs_required":
			haveReq = true
			t.LogsRequired, reqOff, err = p.integer(kat)
		case "witness_quorum":
			t.WitnessQuorum, quorumOff, err = p.integer(kat)
		default:
			err = p.unknown(kat, off, "logs, witnesses, logs_required, witness_quorum")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if !haveReq {
		return nil, p.errAt(start, "%s.logs_required: missing", at).
			WithHint("say how many distinct trusted logs must hold each counted signature (0 to %d)", len(t.Logs))
	}
	if t.LogsRequired > len(t.Logs) {
		return nil, p.errAt(reqOff, "%s.logs_required: %d, but only %d logs are trusted", at, t.LogsRequired, len(t.Logs)).
			WithHint("add the logs to %s.logs (ct policy add-log LOG.vkey), or lower logs_required", at)
	}
	// Witnesses count by name (log.md §5.1: two keys of one name, a key
	// rotation, are one witness), so the quorum is of distinct names.
	names := map[string]bool{}
	for _, w := range t.Witnesses {
		name, _, _ := strings.Cut(w.Key, "+")
		names[name] = true
	}
	if t.WitnessQuorum > len(names) {
		return nil, p.errAt(quorumOff, "%s.witness_quorum: %d, but only %d witnesses are trusted (witnesses count by name: keys of one name are one witness)", at, t.WitnessQuorum, len(names)).
			WithHint("add the witnesses to %s.witnesses (ct policy add-witness WITNESS.vkey), or lower witness_quorum", at)
	}
	if t.LogsRequired == 0 && t.WitnessQuorum > 0 {
		return nil, p.errAt(quorumOff, "%s.witness_quorum: %d, but logs_required is 0, so no proof is required and the quorum could never apply", at, t.WitnessQuorum).
			WithHint("set logs_required to at least 1 (ct policy add-log LOG.vkey --require 1), or witness_quorum to 0")
	}
	if _, err := t.Trust(); err != nil {
		off := logsOff
		if len(t.Witnesses) > 0 && len(t.Logs) == 0 {
			off = witOff
		}
		return nil, p.errAt(off, "%s: %v", at, err).
			WithHint("a log key is the log's note verifier key (ct-log prints it); a witness key is a cosignature/v1 verifier key (ct-witness prints it)")
	}
	return t, nil
}

func (p *parser) logs(at string) ([]Log, error) {
	var out []Log
	seen := map[string]bool{}
	_, err := p.array(at, "an array", MaxLogs, func(ip string, tok json.Token, ioff int64) error {
		if tok != json.Delim('{') {
			return p.errAt(ioff, "%s: expected an object, got %s", ip, kind(tok))
		}
		var l Log
		var originOff, keyOff int64
		start, err := p.fields(ip, ioff, func(key, kat string, koff int64) error {
			var err error
			switch key {
			case "origin":
				l.Origin, originOff, err = p.str(kat)
			case "key":
				l.Key, keyOff, err = p.str(kat)
			default:
				err = p.unknown(kat, koff, "origin, key")
			}
			return err
		})
		if err != nil {
			return err
		}
		if l.Origin == "" {
			return p.errAt(start, "%s.origin: missing or empty", ip).WithHint("give the log's origin, the first line of its checkpoints")
		}
		if l.Key == "" {
			return p.errAt(start, "%s.key: missing or empty", ip).WithHint("give the log's note verifier key")
		}
		if seen[l.Origin] {
			return p.errAt(originOff, "%s.origin: log %q listed twice", ip, l.Origin).WithHint("list each log once")
		}
		seen[l.Origin] = true
		if _, err := tlog.NewTrust(map[string]string{l.Origin: l.Key}, nil); err != nil {
			if isCosigV1(l.Key) {
				return p.errAt(keyOff, "%s.key: log %q: %q is a witness's cosignature/v1 verifier key (key type 0x04), not a log's", ip, l.Origin, l.Key).
					WithHint("list it in transparency.witnesses (ct policy add-witness); a log's key is the Ed25519 note key ct-log serve --print-vkey prints")
			}
			return p.errAt(keyOff, "%s.key: %v", ip, err).
				WithHint("a log key is the log's note verifier key, ORIGIN+HASH+BASE64, named after the origin (ct-log serve --print-vkey prints it)")
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (p *parser) witnesses(at string) ([]Witness, error) {
	var out []Witness
	var keys []string
	_, err := p.array(at, "an array", MaxLogs, func(ip string, tok json.Token, ioff int64) error {
		if tok != json.Delim('{') {
			return p.errAt(ioff, "%s: expected an object, got %s", ip, kind(tok))
		}
		var w Witness
		var keyOff int64
		start, err := p.fields(ip, ioff, func(key, kat string, koff int64) error {
			var err error
			switch key {
			case "key":
				w.Key, keyOff, err = p.str(kat)
			default:
				err = p.unknown(kat, koff, "key")
			}
			return err
		})
		if err != nil {
			return err
		}
		if w.Key == "" {
			return p.errAt(start, "%s.key: missing or empty", ip).WithHint("give the witness's cosignature/v1 verifier key")
		}
		if !isCosigV1(w.Key) {
			return p.errAt(keyOff, "%s.key: %q is not a cosignature/v1 verifier key (key type 0x04)", ip, w.Key).
				WithHint("a witness key is a cosignature/v1 verifier key, as ct-witness prints it; an Ed25519 note key (type 0x01) is a log's")
		}
		if _, err := tlog.NewTrust(nil, append(keys, w.Key)); err != nil {
			return p.errAt(keyOff, "%s.key: %v", ip, err).
				WithHint("a witness key is a cosignature/v1 verifier key, NAME+HASH+BASE64 (ct-witness prints it); list each once")
		}
		keys = append(keys, w.Key)
		out = append(out, w)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// isCosigV1 reports whether vkey is a note verifier key of type 0x04
// (cosignature/v1, C2SP tlog-cosignature).
func isCosigV1(vkey string) bool {
	parts := strings.SplitN(vkey, "+", 3) // name, hash, base64 (which may hold '+')
	if len(parts) != 3 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(parts[2])
	return err == nil && len(b) > 0 && b[0] == 0x04
}
