package pack

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// prefetcher downloads blobs ahead of the writer, several at once, into
// temporary files, so that a registry source is read over parallel
// connections (as crane and skopeo do) while the bundle is still written
// front to back. At most ahead blobs wait on disk at any time, so disk use
// is bounded and memory stays flat. Blobs that fail to download report their
// error when the writer reaches them, in bundle order.
type prefetcher struct {
	dir    string
	slots  []*slot
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}
}

type slot struct {
	path string
	err  error
	done chan struct{}
}

func newPrefetcher(ctx context.Context, open []func() (io.ReadCloser, error), workers, ahead int) (*prefetcher, error) {
	dir, err := os.MkdirTemp("", "ct-pack-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetcher{dir: dir, cancel: cancel, sem: make(chan struct{}, ahead)}
	for range open {
		p.slots = append(p.slots, &slot{done: make(chan struct{})})
	}
	jobs := make(chan int)
	p.wg.Add(1)
	go func() { // hands out blobs in order, never more than ahead unconsumed
		defer p.wg.Done()
		defer close(jobs)
		for i := range open {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for i := range jobs {
				s := p.slots[i]
				s.path = filepath.Join(dir, "blob-"+itoa(i))
				s.err = download(ctx, open[i], s.path)
				close(s.done)
			}
		}()
	}
	return p, nil
}

func download(ctx context.Context, open func() (io.ReadCloser, error), path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// open waits for blob i and opens its downloaded content; the file is
// removed as soon as it is closed, and its slot freed for the next download.
func (p *prefetcher) open(i int) (io.ReadCloser, error) {
	s := p.slots[i]
	<-s.done
	if s.err != nil {
		<-p.sem
		return nil, s.err
	}
	f, err := os.Open(s.path)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return &tempBlob{File: f, p: p}, nil
}

type tempBlob struct {
	*os.File
	p    *prefetcher
	once sync.Once
}

func (t *tempBlob) Close() error {
	err := t.File.Close()
	t.once.Do(func() {
		os.Remove(t.File.Name())
		<-t.p.sem
	})
	return err
}

// close stops the downloads and removes every temporary file.
func (p *prefetcher) close() {
	p.cancel()
	// Unblock the dispatcher if it waits for a slot the writer will never free.
	go func() {
		for range p.sem {
		}
	}()
	p.wg.Wait()
	close(p.sem)
	os.RemoveAll(p.dir)
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}
