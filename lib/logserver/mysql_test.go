package logserver

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cerro-torre/ct/lib/exit"
	"github.com/cerro-torre/ct/lib/keys"
	"github.com/cerro-torre/ct/lib/tlog"
)

// TestServeMySQL runs the log on Tessera's MySQL driver against a private
// MariaDB (Debian's mariadb-server, scripts/install-deps.sh) started here on
// 127.0.0.1 in a temporary folder, with Tessera's own schema.sql, and reads
// the entries back over tlog-tiles. Without MariaDB it fails: CI must run it.
func TestServeMySQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MariaDB server")
	}
	// Start with MySQL storage makes http.DefaultClient the witness client
	// (no redirects): a process-wide setting, undone for the other tests.
	saved := *http.DefaultClient
	t.Cleanup(func() { *http.DefaultClient = saved })
	dsn := startMariaDB(t)
	applySchema(t, dsn)

	_, vkey := testSigner(t)
	s := startTest(t, Config{Storage: StorageMySQL, MySQLDSN: dsn, CheckpointInterval: time.Second})
	base := "http://" + s.Addr + "/"
	leaves := make([][]byte, 30)
	for i := range leaves {
		leaves[i] = testLeaf(t, i)
	}
	idx := addAll(t, base, leaves)
	if code, body := post(t, base, leaves[3]); code != 200 || body != fmt.Sprintf("%d\n", idx[3]) {
		t.Fatalf("resubmitted leaf: %d %q, want %d", code, body, idx[3])
	}
	cp := CheckLog(t, base, vkey, leaves, idx)
	if cp.Size != uint64(len(leaves)) {
		t.Fatalf("checkpoint size %d, want %d", cp.Size, len(leaves))
	}

	// The database's log is served only with its key (keycheck.go).
	other, err := keys.NewPrivateKeyFromSeed("CT-SIG-01", "log2", bytes.Repeat([]byte{4}, 32))
	if err != nil {
		t.Fatal(err)
	}
	otherSigner, err := tlog.LogSigner(other, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if s2, err := Start(context.Background(), Config{Storage: StorageMySQL, MySQLDSN: dsn, Origin: testOrigin, Signer: otherSigner,
		CheckpointInterval: time.Second, Log: io.Discard}); err == nil {
		s2.Close()
		s2.Wait()
		t.Fatal("the MySQL log started with another key")
	} else if exit.CodeOf(err) != exit.Usage || !strings.Contains(err.Error(), "--key is not the key") {
		t.Fatalf("another key: %v (exit %d)", err, exit.CodeOf(err))
	}

	// A database that cannot be reached is a network failure (12).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	_, err = Start(context.Background(), Config{Storage: StorageMySQL, MySQLDSN: "u@tcp(" + ln.Addr().String() + ")/db",
		Origin: testOrigin, Signer: mustSigner(t)})
	if exit.CodeOf(err) != exit.Network {
		t.Fatalf("unreachable database: %v (exit %d)", err, exit.CodeOf(err))
	}
}

// startMariaDB starts mariadbd on a free 127.0.0.1 port with a fresh data
// folder and returns a DSN for its empty database ctlog; it is stopped when
// the test ends.
func startMariaDB(t *testing.T) string {
	t.Helper()
	mariadbd := lookPath("mariadbd", "/usr/sbin/mariadbd")
	installDB := lookPath("mariadb-install-db", "/usr/bin/mariadb-install-db")
	if mariadbd == "" || installDB == "" {
		t.Fatal("MariaDB is not installed (mariadbd, mariadb-install-db): run scripts/install-deps.sh")
	}
	dir, err := os.MkdirTemp("", "ct-mariadb-") // short: the socket path is limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	user := []string{}
	if os.Getuid() == 0 {
		user = []string{"--user=root"} // mariadbd refuses to run as root otherwise
	}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}, user...)
	if out, err := exec.Command(installDB, args...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(mariadbd, append([]string{"--no-defaults", "--datadir=" + data,
		"--bind-address=127.0.0.1", fmt.Sprintf("--port=%d", port), "--socket=" + filepath.Join(dir, "sock"),
		"--pid-file=" + filepath.Join(dir, "pid"), "--log-error=" + filepath.Join(dir, "err.log"),
		"--skip-grant-tables", "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--skip-name-resolve"}, user...)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting mariadbd: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) // a clean shutdown
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	root := fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port)
	db, err := sql.Open("mysql", root)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err = db.Ping(); err == nil {
			break
		}
		select {
		case e := <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			t.Fatalf("mariadbd stopped: %v\n%s", e, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			t.Fatalf("mariadbd does not answer: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := db.Exec("CREATE DATABASE ctlog"); err != nil {
		t.Fatal(err)
	}
	return root + "ctlog"
}

func lookPath(name, fallback string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if _, err := os.Stat(fallback); err == nil {
		return fallback
	}
	return ""
}

// applySchema runs Tessera's storage/mysql/schema.sql, from the module
// cache of the tessera version lib/go.mod requires.
func applySchema(t *testing.T, dsn string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/transparency-dev/tessera").Output()
	if err != nil {
		t.Fatalf("go list -m tessera: %v", err)
	}
	schema, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "storage", "mysql", "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn+"?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(string(schema)); err != nil {
		t.Fatalf("Tessera's schema.sql: %v", err)
	}
}
