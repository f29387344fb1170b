// Toasts for async results; problem+json errors show their detail.
import { h } from 'vue'
import { ElMessage, ElMessageBox } from 'element-plus'
import { errorMessage } from '@/api/problem'

export function toastOk(message: string) {
  ElMessage({ type: 'success', message, grouping: true })
}

export function toastError(e: unknown) {
  ElMessage({ type: 'error', message: errorMessage(e), grouping: true, duration: 6000 })
}

/** Runs `action`, toasting its failure; returns whether it succeeded. */
export async function withToast(action: () => Promise<unknown>, ok?: string): Promise<boolean> {
  try {
    await action()
    if (ok) toastOk(ok)
    return true
  } catch (e) {
    toastError(e)
    return false
  }
}

/**
 * Asks before a destructive or disruptive action: `message` names what, where and which
 * version. Resolves `true` when confirmed.
 */
export async function confirmAction(title: string, message: string, confirm: string, danger = true): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, title, {
      type: 'warning',
      confirmButtonText: confirm,
      cancelButtonText: 'Cancel',
      confirmButtonClass: danger ? 'el-button--danger' : undefined,
      autofocus: false,
    })
    return true
  } catch {
    return false
  }
}

/** A success toast with an Undo button (for removals that can be put back). */
export function toastUndo(message: string, undo: () => Promise<unknown>) {
  const toast = ElMessage({
    type: 'success',
    duration: 8000,
    showClose: true,
    message: h('span', { class: 'wf-undo' }, [
      message,
      ' ',
      h(
        'button',
        {
          type: 'button',
          class: 'el-button el-button--small is-link',
          'data-test': 'undo',
          onClick: async () => {
            toast.close()
            if (await withToast(undo)) toastOk('Undone')
          },
        },
        'Undo',
      ),
    ]),
  })
}

/** Copies `text` to the clipboard and says so (`what`: "Token", "Deployment ID"). */
export async function copyText(text: string, what: string) {
  await navigator.clipboard?.writeText(text)
  toastOk(`${what} copied`)
}
