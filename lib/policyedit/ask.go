package policyedit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/policy"
	"github.com/cerro-torre/ct/lib/termsafe"
)

// maxTries bounds how often one question is asked again after a wrong answer.
const maxTries = 3

// SplitList splits an answer into its entries: separated by commas or
// white space, empty entries dropped. Patterns never contain either.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' })
}

// Ask asks ct policy init's questions on a terminal: in gives the typed
// lines, out shows the questions. An empty answer takes the default shown
// in brackets. A wrong answer is explained and asked again (up to 3
// times); end of input (Ctrl-D) is exit.Cancelled. st may be nil.
func Ask(in io.Reader, out io.Writer, st *keys.Store) (Options, error) {
	var o Options
	r := bufio.NewReader(in)
	t := LoadTrust(st)
	if len(t.keys) > 0 {
		fmt.Fprintln(out, "Keys you trust (ct key list):")
		for _, k := range t.keys {
			fp, _ := keys.ParseFingerprint(k.Fingerprint)
			fmt.Fprintf(out, "  %-20s %s  %s\n", termsafe.Escape(k.KeyID), k.Suite, fp.Display())
		}
	} else {
		fmt.Fprintln(out, "Your key store trusts no key yet (ct key import FILE adds one).")
	}
	ask := func(question string, check func(answer string) error) error {
		var last error
		for i := 0; i < maxTries; i++ {
			fmt.Fprint(out, question)
			line, err := r.ReadString('\n')
			if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
				fmt.Fprintln(out)
				return exit.New(exit.Cancelled, "cancelled at the question; nothing was written")
			}
			if last = check(strings.TrimSpace(line)); last == nil {
				return nil
			}
			fmt.Fprintf(out, "  %s\n", termsafe.EscapeControls(last.Error()))
			if h := exit.HintOf(last); h != "" {
				fmt.Fprintf(out, "  hint: %s\n", termsafe.EscapeControls(h))
			}
		}
		return last
	}
	// The policy as answered so far: each answer is checked in it.
	try := func(o Options) error {
		p, err := build(o, "answer")
		if err == nil {
			_, err = encode(p, "answer")
		}
		if e, ok := err.(*exit.Error); ok {
			return &exit.Error{Code: e.Code, Msg: e.Msg, Hint: e.Hint} // a position in no file
		}
		return err
	}
	err := ask("Which signers count? Key ids or patterns (release-*), fingerprints or .pub files,\n"+
		"separated by commas [any trusted key]: ", func(a string) error {
		var pats []string
		for _, s := range SplitList(a) {
			sg, err := ResolveSigner(s, st)
			if err != nil {
				return err
			}
			pats = append(pats, sg.Pattern)
		}
		if err := try(Options{Signers: pats}); err != nil {
			return err
		}
		o.Signers = pats
		return nil
	})
	if err != nil {
		return o, err
	}
	err = ask("How many distinct signers must sign? [1]: ", func(a string) error {
		n := 1
		if a != "" {
			v, err := strconv.Atoi(a)
			if err != nil || v < 1 || v > policy.MaxThreshold {
				return exit.New(exit.Usage, "%q is not a number from 1 to %d", a, policy.MaxThreshold)
			}
			n = v
		}
		o.Threshold = n
		return nil
	})
	if err != nil {
		return o, err
	}
	err = ask("Which registries may images come from? Patterns like docker.io/library/*,\n"+
		"*.internal.example/* or oci-archive:*, separated by commas [any]: ", func(a string) error {
		regs := SplitList(a)
		if err := try(Options{Registries: regs}); err != nil {
			return err
		}
		o.Registries = regs
		return nil
	})
	if err != nil {
		return o, err
	}
	err = ask("Which signature suites count? CT-SIG-01 (Ed25519), CT-SIG-02 (hybrid),\n"+
		"CT-SIG-03 (ML-DSA-87), separated by commas [any]: ", func(a string) error {
		suites := SplitList(a)
		if err := try(Options{Suites: suites}); err != nil {
			return err
		}
		o.Suites = suites
		return nil
	})
	return o, err
}
