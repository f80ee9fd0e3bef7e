import { render } from 'preact'
import { LangProvider } from '../shared/i18n.tsx'
import { ConsoleApp } from './ConsoleApp.tsx'
import '../shared/base.css'
import './console.css'

const root = document.getElementById('app')!
root.textContent = ''
render(
  <LangProvider>
    <ConsoleApp />
  </LangProvider>,
  root,
)
