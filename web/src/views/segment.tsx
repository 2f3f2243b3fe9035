/** Not built yet: the dashboard grows this view as its capability's routes land (issue 21). */
export default function SegmentView() {
  return <h1>Segment</h1>;
}
