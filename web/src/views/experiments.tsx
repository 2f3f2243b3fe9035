/** Not built yet: the dashboard grows this view as its capability's routes land (issue 21). */
export default function ExperimentsView() {
  return <h1>Experiments</h1>;
}
