// The UI's state classes (Inbox, the set-up's Setup) share one shape: a `state` object
// replaced on every change and a `subscribe` for listeners. This hook re-renders on changes.
import { useEffect, useState } from 'preact/hooks';

export interface Observable<S> {
  readonly state: S;
  subscribe(listener: () => void): () => void;
}

export function useObserved<S>(source: Observable<S>): S {
  const [state, setState] = useState(source.state);
  useEffect(() => {
    const sync = () => setState(source.state);
    const off = source.subscribe(sync);
    sync(); // whatever changed between the first render and this subscription
    return off;
  }, [source]);
  return state;
}
