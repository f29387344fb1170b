import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useSessionStore } from '@/stores/session'

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('@/components/AppLayout.vue'),
    children: [
      { path: '', name: 'dashboard', component: () => import('@/views/DashboardView.vue') },
      { path: 'targets', name: 'targets', component: () => import('@/views/TargetsView.vue') },
      { path: 'targets/:target', name: 'target', component: () => import('@/views/TargetView.vue'), props: true },
      {
        path: 'targets/:target/containers/:container',
        name: 'container',
        component: () => import('@/views/ContainerView.vue'),
        props: true,
      },
      { path: 'stacks', name: 'stacks', component: () => import('@/views/StacksView.vue') },
      { path: 'stacks/new', name: 'stack-new', component: () => import('@/views/StackView.vue') },
      { path: 'stacks/:stack', name: 'stack', component: () => import('@/views/StackView.vue'), props: true },
      { path: 'stacks/:stack/deploy', name: 'deploy', component: () => import('@/views/DeployView.vue'), props: true },
      { path: 'deployments', name: 'deployments', component: () => import('@/views/DeploymentsView.vue') },
      { path: 'deployments/:id', name: 'deployment', component: () => import('@/views/DeploymentView.vue'), props: true },
      { path: 'admin', name: 'admin', component: () => import('@/views/AdminView.vue') },
    ],
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  const session = useSessionStore()
  if (!session.loaded) await session.load()
  if (to.meta.public) return true
  if (!session.info) return { name: 'login', query: { next: to.fullPath } }
  return true
})
