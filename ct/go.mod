module github.com/cerro-torre/ct/ct

go 1.26.0

require (
	github.com/cerro-torre/ct/lib v0.0.0
	github.com/muesli/mango v0.1.1-0.20220205060214-77e2058169ab
)

require (
	github.com/alecthomas/kong v1.17.0 // indirect
	github.com/alecthomas/mango-kong v0.1.0 // indirect
	github.com/muesli/roff v0.1.0 // indirect
)

replace github.com/cerro-torre/ct/lib => ../lib
