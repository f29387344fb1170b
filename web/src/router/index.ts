import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from 'vue-router'
import { useSessionStore } from '@/stores/session'
// The landing page and its layout are in the first bundle: no extra round trip before the
// dashboard's calls start.
import AppLayout from '@/components/AppLayout.vue'
import DashboardView from '@/views/DashboardView.vue'

/** Route params passed to a view as props (not the `org` param: the session store holds it). */
const params =
  (...names: string[]) =>
  (route: RouteLocationNormalized) =>
    Object.fromEntries(names.map((n) => [n, route.params[n]]))

/** The sections of an organization; `/<section>…` without `/o/<org>` is an older link. */
const SECTIONS = /^\/(stacks|catalog|targets|certificates|dns|deployments|workflows|admin)(\/|$)/

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true } },
  {
    // Every page of an organization carries its slug, so a deep link (or a reload) opens the
    // same organization it was copied from.
    path: '/o/:org',
    component: AppLayout,
    children: [
      { path: '', name: 'dashboard', component: DashboardView },
      { path: 'targets', name: 'targets', component: () => import('@/views/TargetsView.vue') },
      { path: 'targets/:target', name: 'target', component: () => import('@/views/TargetView.vue'), props: params('target') },
      {
        path: 'targets/:target/containers/:container',
        name: 'container',
        component: () => import('@/views/ContainerView.vue'),
        props: params('target', 'container'),
      },
      { path: 'stacks', name: 'stacks', component: () => import('@/views/StacksView.vue') },
      { path: 'stacks/new', name: 'stack-new', component: () => import('@/views/StackView.vue') },
      { path: 'stacks/:stack', name: 'stack', component: () => import('@/views/StackView.vue'), props: params('stack') },
      { path: 'stacks/:stack/deploy', name: 'deploy', component: () => import('@/views/DeployView.vue'), props: params('stack') },
      { path: 'catalog', name: 'catalog', component: () => import('@/views/CatalogView.vue') },
      // The breadcrumb of a template's source: the catalog.
      { path: 'catalog/:source', redirect: (to) => ({ name: 'catalog', params: { org: to.params.org } }) },
      {
        path: 'catalog/:source/:id',
        name: 'template',
        component: () => import('@/views/TemplateView.vue'),
        props: params('source', 'id'),
      },
      { path: 'certificates', name: 'certificates', component: () => import('@/views/CertificatesView.vue') },
      { path: 'dns', name: 'dns', component: () => import('@/views/DnsView.vue') },
      { path: 'deployments', name: 'deployments', component: () => import('@/views/DeploymentsView.vue') },
      { path: 'deployments/:id', name: 'deployment', component: () => import('@/views/DeploymentView.vue'), props: params('id') },
      // The workflow console: a feature folder (canvas, nodes, document helpers together).
      { path: 'workflows', name: 'workflows', component: () => import('@/views/workflows/WorkflowsView.vue') },
      { path: 'workflows/:name', name: 'workflow', component: () => import('@/views/workflows/WorkflowView.vue'), props: params('name') },
      // The breadcrumb of a run: its workflow (the Runs tab lists them).
      { path: 'workflows/:name/runs', redirect: (to) => ({ name: 'workflow', params: { org: to.params.org, name: to.params.name } }) },
      {
        path: 'workflows/:name/runs/:run',
        name: 'workflow-run',
        component: () => import('@/views/workflows/WorkflowRunView.vue'),
        props: params('name', 'run'),
      },
      { path: 'admin', name: 'admin', component: () => import('@/views/AdminView.vue') },
    ],
  },
  // `/`, older links without the organization (`/stacks/web`) and unknown paths: the guard
  // sends them into the current organization. Rendered only for a user without any
  // organization (the layout then says so).
  { path: '/:rest(.*)*', name: 'elsewhere', component: AppLayout },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  const session = useSessionStore()
  if (!session.loaded) await session.load()
  if (to.meta.public) return true
  if (!session.info) return { name: 'login', query: { next: to.fullPath } }
  if (to.name === 'elsewhere') {
    if (!session.org) return true
    const section = SECTIONS.test(to.path) ? to.path : ''
    return { path: `/o/${encodeURIComponent(session.org)}${section}`, query: to.query, hash: to.hash, replace: true }
  }
  const org = to.params.org
  if (typeof org === 'string' && session.isMember(org)) session.selectOrg(org)
  // The organization wants a second factor this user has not enrolled: to the enrolment page.
  if (typeof org === 'string' && session.needsEnrolment(org) && !(to.name === 'admin' && to.query.tab === 'security')) {
    return { name: 'admin', params: { org }, query: { tab: 'security' }, replace: true }
  }
  return true
})
