import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import { createTheme, MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';

/**
 * Contrast (WCAG 2.1 AA, checked by axe-core in the browser test): filled and outline components use the darkest shade,
 * and filled ones pick black or white text by the background's luminance.
 */
const theme = createTheme({ primaryShade: 9, autoContrast: true, luminanceThreshold: 0.18 });

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <MantineProvider defaultColorScheme="light" theme={theme}>
      <App />
    </MantineProvider>
  </StrictMode>,
);
