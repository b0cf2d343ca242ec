package main

import "github.com/cerro-torre/ct/lib/exit"

type submitCmd struct{}

func (c *submitCmd) Run(f *flags) error {
	return exit.New(exit.Internal, "ct log submit is not built yet")
}
