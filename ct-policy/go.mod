module github.com/cerro-torre/ct/ct-policy

go 1.26.0

require (
	github.com/cerro-torre/ct/lib v0.0.0
	golang.org/x/term v0.48.0
)

require (
	filippo.io/mldsa v0.0.0-20260215214346-43d0283efc3e // indirect
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/alecthomas/kong v1.17.0 // indirect
	github.com/cloudflare/circl v1.6.5 // indirect
	github.com/gowebpki/jcs v1.0.2 // indirect
	github.com/transparency-dev/formats v0.1.2-0.20260710124811-af9e607161b6 // indirect
	github.com/transparency-dev/merkle v0.0.3-0.20260707140218-77df88e508fa // indirect
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/mod v0.43.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/cerro-torre/ct/lib => ../lib
