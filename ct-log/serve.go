package main

import "github.com/cerro-torre/ct/lib/exit"

type serveCmd struct{}

func (c *serveCmd) Run(f *flags) error {
	return exit.New(exit.Internal, "ct log serve is not built yet")
}
