package regnet

import (
	"context"
	"io"
	"net"
	"sync"
	"syscall"
)

// bodyChunk is how much of a request body goes to the socket per write.
// net/http copies a body of known length through an io.LimitReader, which
// hides any WriterTo, so the copy falls to io.Copy's 32 KiB buffer: a blob
// read in place and hashed on its way out (ct import, archive.md §5 "In
// place") then costs a pread and a socket write per 32 KiB, 15,000 of each
// for 500 MB. With 256 KiB the same bytes are read, hashed and sent once
// each in 8 times fewer system calls, for ~0.04 s less CPU per 500 MB
// (1 MiB saved no more and held 3 MiB more; bench/README.md, 2026-11-29).
const bodyChunk = 256 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, bodyChunk); return &b }}

// bigWrites returns dial with its TCP connections wrapped in bigConn.
func bigWrites(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			return bigConn{tc}, nil
		}
		return c, nil
	}
}

// bigConn is a TCP connection whose ReadFrom (the path net/http's
// transport takes for a request body, through its bufio.Writer) copies in
// bodyChunk pieces. A body the kernel can send by itself (a file: sendfile)
// still goes that way.
type bigConn struct{ *net.TCPConn }

func (c bigConn) ReadFrom(r io.Reader) (int64, error) {
	inner := r
	if lr, ok := r.(*io.LimitedReader); ok {
		inner = lr.R
	}
	if _, ok := inner.(syscall.Conn); ok {
		return c.TCPConn.ReadFrom(r)
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	return io.CopyBuffer(writerOnly{c.TCPConn}, r, *bp)
}

// writerOnly hides the connection's own ReadFrom from io.CopyBuffer.
type writerOnly struct{ io.Writer }
