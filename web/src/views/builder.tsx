/** Not built yet: the dashboard grows this view as its capability's routes land (issue 21). */
export default function BuilderView() {
  return <h1>Builder</h1>;
}
