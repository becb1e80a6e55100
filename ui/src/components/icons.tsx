// Small line icons drawn inline (static SVG, no icon font, nothing loaded at run time).
import type { JSX } from 'preact';

type P = { class?: string };
const svg = (children: JSX.Element | JSX.Element[], p: P) => (
  <svg
    class={`icon ${p.class ?? ''}`}
    viewBox="0 0 24 24"
    width="16"
    height="16"
    fill="none"
    stroke="currentColor"
    stroke-width="1.8"
    stroke-linecap="round"
    stroke-linejoin="round"
    aria-hidden="true"
    focusable="false"
  >
    {children}
  </svg>
);

export const InboxIcon = (p: P) =>
  svg([<path d="M3 13l3-8h12l3 8" />, <path d="M3 13v6h18v-6h-5l-1.5 2.5h-5L8 13z" />], p);
export const UserIcon = (p: P) => svg([<circle cx="12" cy="8" r="4" />, <path d="M4 21c1.5-4 4.5-6 8-6s6.5 2 8 6" />], p);
export const MoonIcon = (p: P) => svg(<path d="M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5z" />, p);
export const ArchiveIcon = (p: P) =>
  svg([<rect x="3" y="4" width="18" height="5" rx="1" />, <path d="M5 9v10h14V9" />, <path d="M10 13h4" />], p);
export const SearchIcon = (p: P) => svg([<circle cx="11" cy="11" r="6.5" />, <path d="M20 20l-4.2-4.2" />], p);
export const ClockIcon = (p: P) => svg([<circle cx="12" cy="12" r="8.5" />, <path d="M12 7.5V12l3 2" />], p);
export const PanelIcon = (p: P) => svg([<rect x="3" y="4" width="18" height="16" rx="2" />, <path d="M15 4v16" />], p);
export const XIcon = (p: P) => svg([<path d="M6 6l12 12" />, <path d="M18 6L6 18" />], p);
export const KeyboardIcon = (p: P) =>
  svg([<rect x="2.5" y="6" width="19" height="12" rx="2" />, <path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10" />], p);
export const SendIcon = (p: P) => svg([<path d="M4 12l16-8-6 16-2.5-6.5z" />, <path d="M11.5 13.5L20 4" />], p);
export const AlertIcon = (p: P) =>
  svg([<path d="M12 3l9.5 17h-19z" />, <path d="M12 10v4.5" />, <path d="M12 17.5h.01" />], p);
export const CloudOffIcon = (p: P) =>
  svg([<path d="M3 3l18 18" />, <path d="M8 8a5 5 0 0 0-2 9.5h11" />, <path d="M11 6.2A5.5 5.5 0 0 1 18 11a4 4 0 0 1 2.7 5.5" />], p);
export const CheckIcon = (p: P) => svg(<path d="M5 12.5l4.5 4.5L19 7.5" />, p);
export const MoreIcon = (p: P) =>
  svg([<path d="M6 12h.01" />, <path d="M12 12h.01" />, <path d="M18 12h.01" />], { class: `icon-bold ${p.class ?? ''}` });
export const ExternalIcon = (p: P) =>
  svg([<path d="M14 4h6v6" />, <path d="M20 4l-9 9" />, <path d="M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />], p);
export const GearIcon = (p: P) =>
  svg(
    [
      <circle cx="12" cy="12" r="3" />,
      <path d="M12 2.8v2.4M12 18.8v2.4M2.8 12h2.4M18.8 12h2.4M5.5 5.5l1.7 1.7M16.8 16.8l1.7 1.7M5.5 18.5l1.7-1.7M16.8 7.2l1.7-1.7" />,
    ],
    p,
  );
