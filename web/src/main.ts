import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'element-plus/theme-chalk/dark/css-vars.css'
import 'element-plus/theme-chalk/el-message.css'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { configureClient } from './api/client'
import { useSessionStore } from './stores/session'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(router)

const session = useSessionStore(pinia)
configureClient({
  csrfToken: () => session.info?.csrf_token ?? null,
  onUnauthorized: () => {
    if (!session.info) return
    session.setInfo(null)
    const current = router.currentRoute.value
    if (current.name !== 'login') {
      void router.replace({ name: 'login', query: { next: current.fullPath, expired: '1' } })
    }
  },
})

app.mount('#app')
