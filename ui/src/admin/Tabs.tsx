// A row of tabs (a WAI-ARIA tablist): the set-up's screens and the editor's sections.
import type { ComponentChildren } from 'preact';

export function Tabs<T extends string>(props: {
  tabs: readonly T[];
  active: T;
  /** Each button carries `data-<attribute>="<tab>"`, which the tests select by. */
  attribute: 'tab' | 'section';
  extraClass?: string;
  label: (tab: T) => ComponentChildren;
  onSelect: (tab: T) => void;
}) {
  const { tabs, active, attribute, extraClass, label, onSelect } = props;
  return (
    <div class={extraClass ? `tabs ${extraClass}` : 'tabs'} role="tablist">
      {tabs.map((tab) => (
        <button
          key={tab}
          role="tab"
          class={`tab${active === tab ? ' active' : ''}`}
          aria-selected={active === tab}
          {...{ [`data-${attribute}`]: tab }}
          onClick={() => onSelect(tab)}
        >
          {label(tab)}
        </button>
      ))}
    </div>
  );
}
