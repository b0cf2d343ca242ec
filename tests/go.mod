module github.com/cerro-torre/ct/tests

go 1.26.0

require github.com/cerro-torre/ct/lib v0.0.0

require (
	github.com/google/go-containerregistry v0.22.1 // indirect
	github.com/klauspost/compress v1.20.4 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
)

replace github.com/cerro-torre/ct/lib => ../lib
