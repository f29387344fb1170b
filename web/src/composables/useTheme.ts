// Light or dark, remembered per browser; follows the system until the user picks.
import { ref, watchEffect } from 'vue'

const KEY = 'windflow.theme'
const stored = localStorage.getItem(KEY)
const dark = ref(
  stored ? stored === 'dark' : window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false,
)

export function useTheme() {
  watchEffect(() => {
    document.documentElement.classList.toggle('dark', dark.value)
  })
  function toggle() {
    dark.value = !dark.value
    localStorage.setItem(KEY, dark.value ? 'dark' : 'light')
  }
  return { dark, toggle }
}
