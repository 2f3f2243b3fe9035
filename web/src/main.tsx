import { render } from "preact";
import { App } from "./app";
import { takeKeyFromUrl } from "./key";
import "./styles.css";

takeKeyFromUrl();
render(<App />, document.getElementById("app") as HTMLElement);
