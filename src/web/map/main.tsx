import { render } from 'preact'
import { LangProvider } from '../shared/i18n.tsx'
import { App } from './App.tsx'
import '../shared/base.css'
import './map.css'

// The static shell in index.html paints at once; the app replaces it.
const root = document.getElementById('app')!
root.textContent = ''
render(
  <LangProvider>
    <App />
  </LangProvider>,
  root,
)
