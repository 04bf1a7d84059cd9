package dispatcher

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// member is one member of the JSON object that a payload encodes to.
type member struct {
	key string
	// field is the value the member is written from by appendValue, as
	// encoding/json writes it (floats and strings aside); if it is not
	// valid, raw is used.
	field reflect.Value
	// raw is the member's JSON, written by encoding/json.
	raw []byte
}

// appendTo appends the member's value in Python's form.
func (m member) appendTo(buf []byte) ([]byte, error) {
	if m.field.IsValid() {
		return appendValue(buf, m.field)
	}
	return appendRaw(buf, m.raw)
}

// plainString returns the member's value if it is a string written as a
// JSON string.
func (m member) plainString() (string, bool) {
	f := m.field
	if !f.IsValid() || f.Kind() != reflect.String || f.Type() == numberType || isMarshaler(f.Type()) ||
		(f.CanAddr() && isMarshaler(reflect.PointerTo(f.Type()))) {
		return "", false
	}
	return f.String(), true
}

// appendStruct appends a struct as the JSON object encoding/json writes for
// it (same members, same order), each value in Python's form.
func appendStruct(buf []byte, v reflect.Value) ([]byte, error) {
	members, err := objectMembers(v)
	if err != nil {
		return nil, err
	}
	buf = append(buf, '{')
	for i, m := range members {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(appendJSONString(buf, m.key), ':')
		if buf, err = m.appendTo(buf); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// present is a JSON value that is only noted: decoding into
// map[string]present lists an object's keys.
type present struct{}

// UnmarshalJSON ignores the value.
func (*present) UnmarshalJSON([]byte) error { return nil }

// objectMembers lists, in order, the members of the JSON object v encodes
// to. A struct (or pointer to one) without its own MarshalJSON is marshaled
// by encoding/json, which checks that it can be written, and its members
// are the fields encoding/json writes (with a field with the "omitzero"
// option, the keys of what it wrote decide which are left out), each
// written from the field; any other value is written by appendValue. It
// fails if v does not encode to an object.
func objectMembers(v reflect.Value) ([]member, error) {
	orig := v // marshaled as given: through a pointer, fields are addressable
	for v.Kind() == reflect.Pointer && !v.IsNil() && !isMarshaler(v.Type()) {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || !v.CanInterface() || isMarshaler(v.Type()) || isMarshaler(reflect.PointerTo(v.Type())) {
		write := appendValue
		if v.Kind() == reflect.Struct { // as encoding/json writes it
			write = appendMarshaled
		}
		raw, err := write(nil, v)
		if err != nil {
			return nil, err
		}
		return rawMembers(raw)
	}
	raw, err := marshalCompact(orig.Interface())
	if err != nil {
		return nil, err
	}
	fields := jsonFields(v.Type())
	var keys map[string]present // what encoding/json wrote, when its rule is not omitted's
	if slices.ContainsFunc(fields, func(f jsonField) bool { return f.omitZero }) {
		if err := json.Unmarshal(raw, &keys); err != nil {
			return nil, errors.New("does not encode to a JSON object")
		}
	}
	out := make([]member, 0, len(fields))
	for _, f := range fields {
		fv, err := v.FieldByIndexErr(f.index)
		if _, ok := keys[f.name]; (keys != nil && !ok) || (keys == nil && (err != nil || f.omitted(fv))) {
			continue
		}
		if err != nil || !fv.CanInterface() {
			return rawMembers(raw)
		}
		m := member{key: f.name, field: fv}
		if f.quoted { // ",string": the JSON of the value, as a JSON string
			js, err := marshalCompact(fv.Interface())
			if err != nil {
				return nil, err
			}
			if m.field, m.raw = (reflect.Value{}), js; string(js) != "null" { // a nil pointer stays null
				m.raw = appendJSONString(nil, string(js))
			}
		}
		out = append(out, m)
	}
	if keys != nil && len(out) != len(keys) { // a member no field accounts for
		return rawMembers(raw)
	}
	return out, nil
}

// omitted reports whether encoding/json leaves out the field f holding v
// for its "omitempty" option: false, 0, a nil pointer or interface, an
// empty array, slice, map or string. (A nil embedded pointer on the way to
// the field leaves it out too; "omitzero" is left to encoding/json.)
func (f jsonField) omitted(v reflect.Value) bool {
	if !f.omitEmpty {
		return false
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0 // -0.0 too
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// rawMembers lists the members of the JSON object raw, in order, values in
// Python's form.
func rawMembers(raw []byte) ([]member, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("does not encode to a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []member
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		val, err := appendTokens(nil, dec)
		if err != nil {
			return nil, err
		}
		out = append(out, member{key: key.(string), raw: val})
	}
	return out, nil
}

// isMarshaler reports whether encoding/json writes values of type t with
// their own method.
func isMarshaler(t reflect.Type) bool {
	return t.Implements(marshalerType) || t.Implements(textMarshalerType)
}

// jsonField is a struct field as encoding/json writes it.
type jsonField struct {
	name   string
	index  []int
	tagged bool // named by its json tag
	quoted bool // the ",string" option: written as a JSON string
	// The "omitempty" and "omitzero" options.
	omitEmpty, omitZero bool
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
		f := jsonField{name: cmp.Or(name, sf.Name), index: idx, tagged: name != "",
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
		return !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c)
	})
}
