import { useEffect, useState } from "preact/hooks";
import { ApiError, get, type Me } from "./api";
import { ErrorBox, Loading } from "./components/status";
import { useLoad } from "./hooks";
import { currentKey, forgetKey, setKey } from "./key";
import { MeContext } from "./me";
import { onLinkClick, usePath } from "./router";
import { match, VIEWS, type ViewModule } from "./views";

/** Asks for a key when there is none (or the one kept is refused). */
function SignIn({ onKey, problem }: { onKey: () => void; problem?: string }) {
  const [text, setText] = useState("");
  return (
    <main id="main" class="sign-in">
      <h1>Tessera</h1>
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setKey(text);
          onKey();
        }}
      >
        <label for="key">API key</label>
        <input
          id="key"
          type="password"
          autocomplete="off"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">
        <code>tessera serve --dashboard</code> prints the dashboard's address with a key; an admin makes
        others with <code>tessera keys create --role analyst</code>.
      </p>
    </main>
  );
}

/** Loads a view's module, then shows it. */
function ViewHost({
  load,
  params,
  title,
}: {
  load: () => Promise<ViewModule>;
  params: Record<string, string>;
  title: string;
}) {
  const mod = useLoad(() => load(), [load]);
  useEffect(() => {
    document.title = `${title} · Tessera`;
  }, [title]);
  if (mod.error) return <ErrorBox error={mod.error} />;
  if (!mod.data) return <Loading what={title} />;
  const View = mod.data.default;
  return <View params={params} />;
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const path = usePath();
  const found = match(path);
  return (
    <MeContext.Provider value={me}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Tessera</span>
        <nav aria-label="Views">
          <ul>
            {VIEWS.filter((v) => v.nav).map((v) => (
              <li>
                <a href={v.path} onClick={onLinkClick} aria-current={found?.view === v ? "page" : undefined}>
                  {v.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" title={`key ${me.id}`}>
          {me.name} · {me.role}
        </span>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {found ? (
          <ViewHost load={found.view.load} params={found.params} title={found.view.title} key={path} />
        ) : (
          <p class="error" role="alert">
            No view at {path}.
          </p>
        )}
      </main>
    </MeContext.Provider>
  );
}

export function App() {
  const [tick, setTick] = useState(0);
  const me = useLoad((signal) => (currentKey() ? get<Me>("/api/me", undefined, signal) : null), [tick]);
  const again = () => setTick((t) => t + 1);
  if (!currentKey()) return <SignIn onKey={again} />;
  if (me.error) {
    const refused = me.error instanceof ApiError && me.error.status === 401;
    if (refused) return <SignIn onKey={again} problem={me.error.message} />;
    return <ErrorBox error={me.error} />;
  }
  if (!me.data) return <Loading what="the dashboard" />;
  return (
    <Shell
      me={me.data}
      onSignOut={() => {
        forgetKey();
        again();
      }}
    />
  );
}
