import { EditorView } from '@codemirror/view'

/** A dark editor theme matching Element Plus's dark palette. */
export const oneDarkish = EditorView.theme(
  {
    '&': { color: '#d4d4d4', backgroundColor: '#1d1e1f' },
    '.cm-gutters': { backgroundColor: '#1d1e1f', color: '#6b6b6b', border: 'none' },
    '.cm-activeLine': { backgroundColor: '#2a2b2c' },
    '.cm-activeLineGutter': { backgroundColor: '#2a2b2c' },
    '&.cm-focused .cm-cursor': { borderLeftColor: '#fff' },
    '&.cm-focused .cm-selectionBackground, ::selection': { backgroundColor: '#264f78' },
  },
  { dark: true },
)
