package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeGoBlocksAreCompiledCode checks that every ```go block of the
// README is a verbatim copy (up to a common indentation) of code in
// example-app, which the build compiles and vet checks: the README cannot
// show code that does not build.
func TestReadmeGoBlocksAreCompiledCode(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(string(readme))
	if len(blocks) < 3 {
		t.Fatalf("found %d go blocks in README.md, want the smallest app, a module and request/reply", len(blocks))
	}
	var sources [][]string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		sources = append(sources, strings.Split(string(b), "\n"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	whole := 0
	for _, b := range blocks {
		if !foundIn(b, sources) {
			t.Errorf("README.md go block starting %q is not a copy of code in example-app", b[0])
		}
		if b[0] == "package main" {
			whole++
		}
	}
	if whole != 1 {
		t.Errorf("README.md has %d complete programs, want 1 (the smallest app)", whole)
	}
}

// goBlocks returns the lines of each ```go fenced block.
func goBlocks(md string) [][]string {
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```go":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// foundIn reports whether block occurs in one of the sources, every line
// prefixed by the same indentation (blank lines match blank lines).
func foundIn(block []string, sources [][]string) bool {
	for _, src := range sources {
		for i := range src {
			indent, ok := strings.CutSuffix(src[i], block[0])
			if !ok || strings.TrimLeft(indent, "\t") != "" || i+len(block) > len(src) {
				continue
			}
			match := true
			for j, line := range block {
				got := src[i+j]
				if line == "" && strings.TrimSpace(got) == "" {
					continue
				}
				if got != indent+line {
					match = false
					break
				}
			}
			if match {
				return true
			}
		}
	}
	return false
}
