package canon

// maxContainers bounds the nesting of inline tables and arrays: an in-model
// document needs at most one inline table and one array per table level,
// plus one array of scalars.
const maxContainers = 2*MaxDepth + 1

// checkNesting is a cheap lexical pre-check run before the TOML parser, whose
// cost grows quadratically with nesting depth: it rejects dotted keys with
// more than MaxDepth+1 parts, headers with more than MaxDepth parts and
// inline tables or arrays nested more than maxContainers deep. Every such
// document is outside the data model anyway. It only tracks enough of the
// TOML grammar (strings, comments, brackets, key and value positions) to
// count; the parser still decides what is valid TOML.
func checkNesting(data []byte) error {
	var stack []byte
	line := 1
	keyPos, header, lineStart := true, false, true
	segs := 1
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '\n':
			line++
			if len(stack) == 0 {
				keyPos, header, segs = true, false, 1
			}
			lineStart = true
			continue
		case ' ', '\t', '\r':
			continue
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
			continue
		case '"', '\'':
			i, line = skipString(data, i, line)
		case '.':
			if keyPos {
				segs++
				if header && segs > MaxDepth {
					return errAt(line, "tables nested deeper than %d levels", MaxDepth)
				}
				if segs > MaxDepth+1 {
					return errAt(line, "tables nested deeper than %d levels", MaxDepth)
				}
			}
		case '=':
			if keyPos && !header {
				keyPos = false
			}
		case '[':
			switch {
			case lineStart && len(stack) == 0:
				header, keyPos, segs = true, true, 1
				if i+1 < len(data) && data[i+1] == '[' {
					i++
				}
			case !keyPos:
				stack = append(stack, '[')
			}
		case ']':
			switch {
			case header:
				header, keyPos = false, false
			case len(stack) > 0:
				stack = stack[:len(stack)-1]
				keyPos = false
			}
		case '{':
			if !keyPos {
				stack = append(stack, '{')
				keyPos, segs = true, 1
			}
		case '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			keyPos = false
		case ',':
			if len(stack) > 0 && stack[len(stack)-1] == '{' {
				keyPos, segs = true, 1
			}
		}
		lineStart = false
		if len(stack) > maxContainers {
			return errAt(line, "inline tables or arrays nested deeper than %d levels", maxContainers)
		}
	}
	return nil
}

// skipString returns the index of the last byte of the string that starts at
// data[i], and the line it ends on.
func skipString(data []byte, i, line int) (int, int) {
	q := data[i]
	multi := i+2 < len(data) && data[i+1] == q && data[i+2] == q
	if multi {
		i += 3
		for ; i < len(data); i++ {
			switch {
			case data[i] == '\n':
				line++
			case data[i] == '\\' && q == '"':
				if i+1 < len(data) && data[i+1] == '\n' {
					line++
				}
				i++
			case data[i] == q && i+2 < len(data) && data[i+1] == q && data[i+2] == q:
				// Up to two more quotes may belong to the content.
				i += 2
				for k := 0; k < 2 && i+1 < len(data) && data[i+1] == q; k++ {
					i++
				}
				return i, line
			}
		}
		return len(data), line
	}
	for i++; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			return i - 1, line // unterminated; let the parser report it
		case data[i] == '\\' && q == '"':
			i++
		case data[i] == q:
			return i, line
		}
	}
	return len(data), line
}
