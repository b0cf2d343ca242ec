//go:build !unix

package ttylock

import "os"

func openLockFile(*os.File) *os.File { return nil }
func tryLock(*os.File) bool          { return true }
func waitLock(*os.File) error        { return nil }
func unlock(*os.File)                {}
