package config

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind is the type a key's value must have.
type kind int

const (
	kString kind = iota
	kInt
	kSize // an integer or a string
	kStrings
)

var schema = map[string]map[string]kind{
	"cluster":  {"name": kString, "cookie_file": kString, "cookie": kString},
	"defaults": {"max_memory": kSize, "max_instructions": kInt, "max_mailbox": kInt},
	"node": {"name": kString, "listen": kString, "boot": kString, "allow_read": kStrings,
		"allow_write": kStrings, "allow_env": kStrings, "join": kStrings},
}

// checkSchema reports the unknown keys and the values of the wrong type
// of the decoded document raw.
func checkSchema(file string, raw map[string]any, lines *lineIndex) []error {
	var errs []error
	add := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	table := func(prefix string, t map[string]any, keys map[string]kind) {
		for _, k := range sortedKeys(t) {
			v := t[k]
			line := lines.keys[prefix+"."+k]
			if line == 0 {
				line = lines.tables[prefix]
			}
			kd, ok := keys[k]
			if !ok {
				add(line, "unknown key %q in [%s]", k, tableName(prefix))
				continue
			}
			if want := check(kd, v); want != "" {
				add(line, "%s: want %s, not %s", k, want, typeName(v))
			}
		}
	}
	for _, top := range sortedKeys(raw) {
		v := raw[top]
		keys, ok := schema[top]
		if !ok {
			line := lines.tables[top]
			if line == 0 {
				line = lines.keys["."+top]
			}
			add(line, "unknown key %q", top)
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			if top == "node" {
				add(lines.tables[top], "node must be an array of tables ([[node]])")
				continue
			}
			table(top, v, keys)
		case []map[string]any:
			if top != "node" {
				add(lines.tables[top+"[0]"], "%s must be a table ([%s])", top, top)
				continue
			}
			for i, t := range v {
				table("node["+strconv.Itoa(i)+"]", t, keys)
			}
		default:
			add(lines.keys["."+top], "%s: want a table, not %s", top, typeName(v))
		}
	}
	return errs
}

// check returns what v should be, or "" when it is of kind k.
func check(k kind, v any) string {
	switch k {
	case kString:
		if _, ok := v.(string); !ok {
			return "a string"
		}
	case kInt:
		if n, ok := v.(int64); !ok || n < 0 {
			return "an integer >= 0"
		}
	case kSize:
		switch v := v.(type) {
		case int64:
			if v < 0 {
				return "a size >= 0"
			}
		case string:
			var s Size
			if err := s.UnmarshalTOML(v); err != nil {
				return "a size such as \"64MiB\""
			}
		default:
			return "a size (a number of bytes or a string such as \"64MiB\")"
		}
	case kStrings:
		a, ok := v.([]any)
		if !ok {
			return "an array of strings"
		}
		for _, e := range a {
			if _, ok := e.(string); !ok {
				return "an array of strings"
			}
		}
	}
	return ""
}

func typeName(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case int64:
		if v < 0 {
			return "a negative integer"
		}
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case time.Time:
		return "a date-time"
	}
	return fmt.Sprintf("%T", v)
}

func tableName(prefix string) string {
	if strings.HasPrefix(prefix, "node[") {
		return "[node]"
	}
	return prefix
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// lineIndex maps tables ("cluster", "node[1]") and keys
// ("cluster.name", "node[1].listen", ".top" for top-level keys) to the
// line they are on. It is found by a simple scan of the file, enough for
// the flat layout of a configuration.
type lineIndex struct {
	tables map[string]int
	keys   map[string]int
}

func scanLines(data []byte) *lineIndex {
	ix := &lineIndex{tables: map[string]int{}, keys: map[string]int{}}
	counts := map[string]int{}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "" || s[0] == '#':
		case strings.HasPrefix(s, "[["):
			name := unquote(strings.TrimSpace(strings.Trim(cutComment(s), "[] \t")))
			table = name + "[" + strconv.Itoa(counts[name]) + "]"
			counts[name]++
			if _, ok := ix.tables[table]; !ok {
				ix.tables[table] = n
			}
			if _, ok := ix.tables[name]; !ok {
				ix.tables[name] = n
			}
		case s[0] == '[':
			table = unquote(strings.TrimSpace(strings.Trim(cutComment(s), "[] \t")))
			if _, ok := ix.tables[table]; !ok {
				ix.tables[table] = n
			}
		default:
			k, _, ok := strings.Cut(s, "=")
			if !ok {
				continue
			}
			key := table + "." + unquote(strings.TrimSpace(k))
			if _, ok := ix.keys[key]; !ok {
				ix.keys[key] = n
			}
		}
	}
	return ix
}

// find returns the line of the key path of toml.Key (the first array
// table holding it when the path crosses one), or 0.
func (ix *lineIndex) find(path ...string) int {
	if len(path) == 0 {
		return 0
	}
	if len(path) == 1 {
		if l := ix.tables[path[0]]; l > 0 {
			return l
		}
		return ix.keys["."+path[0]]
	}
	last := path[len(path)-1]
	prefix := strings.Join(path[:len(path)-1], ".")
	if l := ix.keys[prefix+"."+last]; l > 0 {
		return l
	}
	for i := 0; ; i++ {
		t := prefix + "[" + strconv.Itoa(i) + "]"
		if _, ok := ix.tables[t]; !ok {
			return ix.tables[prefix]
		}
		if l := ix.keys[t+"."+last]; l > 0 {
			return l
		}
	}
}

func cutComment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
