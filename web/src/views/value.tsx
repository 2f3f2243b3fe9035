/** Not built yet: the dashboard grows this view as its capability's routes land (issue 21). */
export default function ValueView() {
  return <h1>Value</h1>;
}
