// Whom the person is booking for: themself, or one of those they act for (a proxy switches here).
import { createContext, type ReactNode, useContext, useMemo, useState } from 'react';
import { bookablePeople, type Person, useMe } from './api/queries';

interface ActorState {
  people: Person[];
  selected: Person | undefined;
  select: (id: string) => void;
}

const ActorContext = createContext<ActorState>({ people: [], selected: undefined, select: () => undefined });
const KEY = 'tjenesteshop.actor';

export function ActorProvider({ children }: { children: ReactNode }) {
  const me = useMe();
  const people = useMemo(() => bookablePeople(me.data), [me.data]);
  const [chosen, setChosen] = useState<string | null>(() => sessionStorage.getItem(KEY));
  const selected = people.find((p) => p.id === chosen) ?? people[0];
  const value = useMemo(
    () => ({
      people,
      selected,
      select: (id: string) => {
        sessionStorage.setItem(KEY, id);
        setChosen(id);
      },
    }),
    [people, selected],
  );
  return <ActorContext.Provider value={value}>{children}</ActorContext.Provider>;
}

export function useActor(): ActorState {
  return useContext(ActorContext);
}
