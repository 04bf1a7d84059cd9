package dispatcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Encoder encodes payloads as EncodeFields and EncodeValue do, and
// remembers what it learned about each Go type it wrote (for a struct: the
// members encoding/json writes, their order and options, how each is
// written), so that a type is inspected once, not on every call. A
// long-lived writer owns one (a redisstream.Publisher does).
//
// The zero value is ready to use; a nil *Encoder encodes too, inspecting
// the types on every call, as the package functions do. An Encoder is safe
// for concurrent use and must not be copied after first use. It keeps an
// entry per type written, so it suits a program's own payload types, not
// types made at run time without bound.
type Encoder struct {
	types sync.Map // reflect.Type -> encodeFunc
	plans sync.Map // reflect.Type -> structPlan, for struct payloads
}

// EncodeValue encodes v as the package's EncodeValue does.
func (e *Encoder) EncodeValue(v any) (string, error) {
	if s, ok := v.(string); ok && !strings.HasPrefix(s, JSONPrefix) {
		return s, nil
	}
	buf, err := e.appendAny(append(make([]byte, 0, 32), JSONPrefix...), v, 0)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrEncode, err)
	}
	return string(buf), nil
}

// EncodeFields encodes an event as the package's EncodeFields does.
func (e *Encoder) EncodeFields(eventType string, payload any) ([]string, error) {
	if eventType == "" {
		return nil, fmt.Errorf("%w: event type is empty", ErrEncode)
	}
	switch p := payload.(type) {
	case nil:
		return []string{TypeField, eventType}, nil
	case map[string]string:
		return encodeMap(e, eventType, p)
	case map[string]any:
		return encodeMap(e, eventType, p)
	}
	v := reflect.ValueOf(payload)
	for v.Kind() == reflect.Pointer && !v.IsNil() && !isMarshaler(v.Type()) {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct && !isMarshaler(v.Type()) {
		return e.encodeStruct(eventType, v)
	}
	buf, err := e.appendAny(nil, payload, 0)
	if err == nil && (len(buf) == 0 || buf[0] != '{') {
		err = errors.New("does not encode to a JSON object")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: payload %T: %w", ErrEncode, payload, err)
	}
	return encodeObject(eventType, buf)
}

// encodeStruct is EncodeFields for a struct: a field per member.
func (e *Encoder) encodeStruct(eventType string, v reflect.Value) ([]string, error) {
	plan := e.planFor(v.Type())
	var w fieldWriter
	w.init(eventType, len(plan))
	for i := range plan {
		f := &plan[i]
		fv, ok := f.value(v)
		switch {
		case !ok || f.name == TypeField:
		case f.plain:
			w.addString(f.name, fv.String())
		default:
			err := w.addJSON(f.name, true, func(buf []byte) ([]byte, error) { return f.write(e, buf, fv, 0) })
			if err != nil {
				return nil, fmt.Errorf("%w field %q: %w", ErrEncode, f.name, err)
			}
		}
	}
	return w.fields(), nil
}

// planFor returns the structPlan of struct type t, made once per Encoder
// (on every call for a nil Encoder).
func (e *Encoder) planFor(t reflect.Type) structPlan {
	if e == nil {
		return newStructPlan(t)
	}
	p, ok := e.plans.Load(t)
	if !ok {
		p, _ = e.plans.LoadOrStore(t, newStructPlan(t))
	}
	return p.(structPlan)
}

// encodeObject is EncodeFields for obj, a JSON object written by the
// Encoder: a field per member, in order.
func encodeObject(eventType string, obj []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	var w fieldWriter
	w.init(eventType, bytes.Count(obj, []byte(":")))
	_, err := dec.Token()
	for err == nil && dec.More() {
		var key json.Token
		var val json.RawMessage
		if key, err = dec.Token(); err == nil {
			err = dec.Decode(&val)
		}
		if err == nil && key != TypeField {
			err = w.addJSON(key.(string), true, func(buf []byte) ([]byte, error) { return append(buf, val...), nil })
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEncode, err)
	}
	return w.fields(), nil
}

// encodeMap is EncodeFields for a map payload: keys sorted, "type" skipped.
func encodeMap[V any](e *Encoder, eventType string, m map[string]V) ([]string, error) {
	var w fieldWriter
	w.init(eventType, len(m))
	var small [smallKeys]string
	for _, k := range sortedKeys(small[:], m) {
		if k == TypeField {
			continue
		}
		val := m[k]
		if s, ok := any(val).(string); ok {
			w.addString(k, s)
			continue
		}
		v := any(val)
		if err := w.addJSON(k, false, func(buf []byte) ([]byte, error) { return e.appendAny(buf, v, 0) }); err != nil {
			return nil, fmt.Errorf("%w field %q: %w", ErrEncode, k, err)
		}
	}
	return w.fields(), nil
}
