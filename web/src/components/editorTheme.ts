import { HighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { EditorView } from '@codemirror/view'
import type { Extension } from '@codemirror/state'
import { tags as t } from '@lezer/highlight'

/** A dark editor theme matching Element Plus's dark palette. */
export const oneDarkish = EditorView.theme(
  {
    '&': { color: '#d4d4d4', backgroundColor: '#1d1e1f' },
    '.cm-gutters': { backgroundColor: '#1d1e1f', color: '#8b8b8b', border: 'none' },
    '.cm-activeLine': { backgroundColor: '#2a2b2c' },
    '.cm-activeLineGutter': { backgroundColor: '#2a2b2c' },
    '&.cm-focused .cm-cursor': { borderLeftColor: '#fff' },
    '&.cm-focused .cm-selectionBackground, ::selection': { backgroundColor: '#264f78' },
  },
  { dark: true },
)

/**
 * YAML colours for the dark theme, each at least 4.5:1 on the editor's background and its
 * active line (WCAG AA): the default style's dark blue keys are unreadable there.
 */
const darkHighlight = HighlightStyle.define([
  { tag: [t.propertyName, t.definition(t.propertyName)], color: '#7cc4ff' },
  { tag: [t.string, t.special(t.string), t.content], color: '#c3e88d' },
  { tag: [t.number, t.bool, t.null, t.atom], color: '#f5b97a' },
  { tag: [t.comment, t.lineComment, t.blockComment], color: '#a0a8b0', fontStyle: 'italic' },
  { tag: [t.keyword, t.typeName, t.labelName, t.meta], color: '#e0a8ff' },
  { tag: [t.punctuation, t.separator, t.bracket, t.squareBracket, t.brace], color: '#c8cdd3' },
  { tag: t.invalid, color: '#ff8a80' },
])

/** The dark editor: the theme and its readable highlighting. */
export const darkEditor: Extension = [oneDarkish, syntaxHighlighting(darkHighlight)]

/**
 * Accessibility: the editing area has a name, and is reachable with Tab (so a keyboard
 * scrolls it, also when read-only).
 */
export function labelled(label: string): Extension {
  return EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' })
}
