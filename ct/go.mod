module github.com/cerro-torre/ct/ct

go 1.26

require github.com/cerro-torre/ct/lib v0.0.0

replace github.com/cerro-torre/ct/lib => ../lib
