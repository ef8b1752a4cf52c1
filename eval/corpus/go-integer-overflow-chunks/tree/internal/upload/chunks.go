// Package upload implements resumable uploads: a client sends a file in numbered chunks, in any
// order, and the server writes each chunk at its place in the destination file.
package upload

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ChunkSize is the size of every chunk but the last. Files of up to 50 GiB are accepted.
const ChunkSize int32 = 8 << 20 // 8 MiB

// MaxFileSize is the largest upload accepted.
const MaxFileSize int64 = 50 << 30

// ErrChunkOutOfRange is returned for a chunk number beyond the declared file size.
var ErrChunkOutOfRange = errors.New("upload: chunk number out of range")

// Session is one upload in progress.
type Session struct {
	File     *os.File
	Size     int64 // declared by the client when the upload started
	Received map[int32]bool
}

// chunkOffset is where chunk `index` starts in the file.
func chunkOffset(index int32) int64 {
	return int64(index * ChunkSize)
}

// WriteChunk stores one chunk; chunks may arrive more than once (client retries).
func (s *Session) WriteChunk(index int32, body io.Reader) error {
	if s.Size > MaxFileSize {
		return fmt.Errorf("upload: %d bytes is over the %d byte limit", s.Size, MaxFileSize)
	}
	offset := chunkOffset(index)
	if index < 0 || offset >= s.Size {
		return ErrChunkOutOfRange
	}
	want := int64(ChunkSize)
	if rest := s.Size - offset; rest < want {
		want = rest
	}
	buf := make([]byte, want)
	if _, err := io.ReadFull(body, buf); err != nil {
		return fmt.Errorf("upload: chunk %d: %w", index, err)
	}
	if _, err := s.File.WriteAt(buf, offset); err != nil {
		return fmt.Errorf("upload: chunk %d: %w", index, err)
	}
	s.Received[index] = true
	return nil
}
