package dispatcher

import "reflect"

// structPlan is how values of a struct type are written: the members
// encoding/json writes for the type, in its order (see jsonFields), each
// with the encodeFunc of its field's type. It is made once per type and
// Encoder.
type structPlan []jsonField

func newStructPlan(t reflect.Type) structPlan {
	p := structPlan(jsonFields(t))
	for i := range p {
		f := &p[i]
		ft := f.typ
		// Not recursive: a struct holds itself only through a pointer,
		// slice, map or interface, whose elements' encoders are found when
		// written.
		f.enc = newEncoder(ft)
		f.plain = ft.Kind() == reflect.String && ft != numberType && !f.quoted && !isMarshaler(ft) && !isMarshaler(reflect.PointerTo(ft))
		if f.omitZero {
			f.isZero = zeroTest(ft)
		}
	}
	return p
}

// append appends struct v as a JSON object.
func (p structPlan) append(e *Encoder, buf []byte, v reflect.Value, depth int) ([]byte, error) {
	buf = append(buf, '{')
	first := true
	for i := range p {
		f := &p[i]
		fv, ok := f.value(v)
		if !ok {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		var err error
		if buf, err = f.write(e, append(appendJSONString(buf, f.name), ':'), fv, depth); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// value returns the field's value in struct v, and false if encoding/json
// leaves the member out: the field is behind a nil embedded pointer, or is
// empty with "omitempty" or zero with "omitzero".
func (f *jsonField) value(v reflect.Value) (reflect.Value, bool) {
	var fv reflect.Value
	if len(f.index) == 1 {
		fv = v.Field(f.index[0])
	} else if x, err := v.FieldByIndexErr(f.index); err == nil {
		fv = x
	} else {
		return fv, false
	}
	return fv, !(f.omitted(fv) || f.isZero != nil && f.isZero(fv))
}

// write appends fv, the field's value.
func (f *jsonField) write(e *Encoder, buf []byte, fv reflect.Value, depth int) ([]byte, error) {
	if !f.quoted {
		return f.enc(e, buf, fv, depth)
	}
	js, err := marshalCompact(fv.Interface()) // ",string": the JSON of the value, as a JSON string
	if err != nil || string(js) == "null" {   // a nil pointer stays null
		return append(buf, js...), err
	}
	return appendJSONString(buf, string(js)), nil
}

// omitted reports whether encoding/json leaves out the field f holding v
// for its "omitempty" option: false, 0, a nil pointer or interface, an
// empty array, slice, map or string.
func (f *jsonField) omitted(v reflect.Value) bool {
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

// zeroer is the method encoding/json's "omitzero" asks of a value.
type zeroer interface{ IsZero() bool }

// zeroTest returns encoding/json's "omitzero" test for a field of type t:
// the type's own IsZero method if it has one (through a pointer if need
// be; a nil pointer or interface is zero), else reflect's zero value.
func zeroTest(t reflect.Type) func(reflect.Value) bool {
	zt := reflect.TypeFor[zeroer]()
	switch {
	case (t.Kind() == reflect.Interface || t.Kind() == reflect.Pointer) && t.Implements(zt):
		return func(v reflect.Value) bool {
			return v.IsNil() || v.Kind() == reflect.Interface && v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil() ||
				v.Interface().(zeroer).IsZero()
		}
	case t.Implements(zt):
		return func(v reflect.Value) bool { return v.Interface().(zeroer).IsZero() }
	case reflect.PointerTo(t).Implements(zt):
		return func(v reflect.Value) bool {
			if !v.CanAddr() {
				c := reflect.New(t).Elem()
				c.Set(v)
				v = c
			}
			return v.Addr().Interface().(zeroer).IsZero()
		}
	}
	return reflect.Value.IsZero
}
