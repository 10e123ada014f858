package drafts

import (
	"reflect"
	"testing"

	"github.com/sesbox/sesbox/mailstore"
	"github.com/sesbox/sesbox/mailstore/sesaccount"
)

// fakeAll has the methods of every interface an Outbox holds (never
// called: only compared).
type fakeAll struct {
	mailstore.Sender
	ActionLog
	SentCopier
	sesaccount.API
}

// TestRetryingKeepsEveryField: Retrying copies the Outbox field by field
// (it holds a mutex, so it cannot be copied whole); a field added to
// Outbox and left out there would send a retried reply without it (no
// sent copy, no log line). Every exported field is set, and each must be
// the same in the copy, RetryUncertain aside, which is set.
func TestRetryingKeepsEveryField(t *testing.T) {
	var o Outbox
	v := reflect.ValueOf(&o).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue
		}
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(v.Type().Field(i).Name != "RetryUncertain")
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Func:
			f.Set(reflect.MakeFunc(f.Type(), func([]reflect.Value) []reflect.Value {
				return []reflect.Value{reflect.Zero(f.Type().Out(0))}
			}))
		case reflect.Interface:
			for _, c := range []any{&fakeAll{}} {
				if reflect.TypeOf(c).Implements(f.Type()) {
					f.Set(reflect.ValueOf(c))
				}
			}
			if f.IsNil() {
				t.Fatalf("no value for the interface field %s", v.Type().Field(i).Name)
			}
		default:
			t.Fatalf("field %s of kind %s: set it in this test", v.Type().Field(i).Name, f.Kind())
		}
	}
	r := reflect.ValueOf(o.Retrying()).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if name == "RetryUncertain" {
			if !r.Field(i).Bool() {
				t.Error("Retrying did not set RetryUncertain")
			}
			continue
		}
		a, b := v.Field(i), r.Field(i)
		same := a.Kind() == reflect.Func && a.Pointer() == b.Pointer() ||
			a.Kind() != reflect.Func && a.Interface() == b.Interface()
		if !same {
			t.Errorf("Retrying lost the field %s", name)
		}
	}
}
