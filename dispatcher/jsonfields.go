package dispatcher

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// jsonField is a struct field as encoding/json writes it, and how it is
// written.
type jsonField struct {
	name   string
	index  []int
	typ    reflect.Type
	tagged bool // named by its json tag
	quoted bool // the ",string" option: written as a JSON string
	// The "omitempty" and "omitzero" options.
	omitEmpty, omitZero bool

	// Set by newStructPlan:
	enc    encodeFunc               // the encoder of the field's type
	plain  bool                     // a string written as a JSON string: EncodeFields stores it as it is
	isZero func(reflect.Value) bool // the "omitzero" test
}

// jsonFields lists the fields encoding/json writes for struct type t, in
// its order, by its rules: exported fields, named by their json tag if it
// has a valid name (skipped for "-"), fields of embedded structs without a
// tag name promoted; of several fields with one name, the shallowest wins,
// a tagged one over untagged ones at the same depth, and if that leaves
// two, none is written.
func jsonFields(t reflect.Type) []jsonField {
	all := make([]jsonField, 0, t.NumField())
	var path [4]reflect.Type
	collectFields(t, nil, path[:0], &all)
	conflict := false
	for i := range all {
		for j := range i {
			conflict = conflict || all[i].name == all[j].name
		}
	}
	if !conflict {
		return all
	}
	out := make([]jsonField, 0, len(all))
	for _, f := range all {
		if w := dominant(all, f.name); w != nil && slices.Equal(w.index, f.index) {
			out = append(out, f)
		}
	}
	return out
}

// dominant returns, of the fields named name, the one encoding/json
// writes, or nil if none (see jsonFields).
func dominant(fs []jsonField, name string) *jsonField {
	var best *jsonField
	n := 0
	for i := range fs {
		f := &fs[i]
		switch {
		case f.name != name:
		case best == nil || len(f.index) < len(best.index) || len(f.index) == len(best.index) && f.tagged && !best.tagged:
			best, n = f, 1
		case len(f.index) == len(best.index) && f.tagged == best.tagged:
			n++
		}
	}
	if n != 1 {
		return nil
	}
	return best
}

// collectFields appends the fields of struct type t, reached through
// index, to all, depth first in field order (encoding/json's order of
// members); onPath, the struct types embedding t, guards against cycles.
func collectFields(t reflect.Type, index []int, onPath []reflect.Type, all *[]jsonField) {
	if slices.Contains(onPath, t) {
		return
	}
	onPath = append(onPath, t)
	var top []int // the index of each field of t, when t is the payload's type
	if len(index) == 0 {
		top = make([]int, t.NumField())
		for i := range top {
			top[i] = i
		}
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		ft := sf.Type
		if ft.Name() == "" && ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if (!sf.IsExported() && !sf.Anonymous) || (!sf.IsExported() && ft.Kind() != reflect.Struct) {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !validTagName(name) {
			name = ""
		}
		var idx []int
		if top != nil {
			idx = top[i : i+1 : i+1]
		} else {
			idx = append(index[:len(index):len(index)], i) // a copy: never shared with a sibling
		}
		if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
			collectFields(ft, idx, onPath, all)
			continue
		}
		f := jsonField{name: cmp.Or(name, sf.Name), index: idx, typ: sf.Type, tagged: name != "",
			omitEmpty: hasOption(opts, "omitempty"), omitZero: hasOption(opts, "omitzero")}
		switch ft.Kind() {
		case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			f.quoted = hasOption(opts, "string")
		}
		*all = append(*all, f)
	}
}

// hasOption reports whether the comma-separated options of a json tag
// include opt.
func hasOption(opts, opt string) bool {
	for opts != "" {
		var o string
		if o, opts, _ = strings.Cut(opts, ","); o == opt {
			return true
		}
	}
	return false
}

// validTagName reports whether encoding/json accepts name as a member name
// from a tag.
func validTagName(name string) bool {
	return name != "" && !strings.ContainsFunc(name, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') &&
			!strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c)
	})
}
