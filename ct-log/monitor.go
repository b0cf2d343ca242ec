package main

import "github.com/cerro-torre/ct/lib/exit"

type monitorCmd struct{}

func (c *monitorCmd) Run(f *flags) error {
	return exit.New(exit.Internal, "ct log monitor is not built yet")
}
