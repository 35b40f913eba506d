package tensor

import (
	"fmt"
	"sync/atomic"
)

// node records how a tensor was computed: the inputs that need gradients and
// the function that propagates the output's gradient into them.
type node struct {
	inputs   []*Tensor
	backward func()

	// scratch buffers that backward reads; Release recycles them.
	scratchF32 [][]float32
	scratchI32 [][]int32
}

var noGradDepth atomic.Int32

// NoGrad runs fn with gradient recording off: operations inside it record no
// history and their results never require gradients. Use it for evaluation and
// for optimizer updates. Calls may nest.
func NoGrad(fn func()) {
	noGradDepth.Add(1)
	defer noGradDepth.Add(-1)
	fn()
}

// GradEnabled reports whether operations currently record history.
func GradEnabled() bool { return noGradDepth.Load() == 0 }

// record attaches a backward function to out when gradients are enabled and any
// input requires them. backward reads out.Grad and accumulates into the Grad of
// the inputs that require gradients.
func record(out *Tensor, backward func(), inputs ...*Tensor) {
	if !GradEnabled() {
		return
	}
	var needed []*Tensor
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			needed = append(needed, in)
		}
	}
	if len(needed) == 0 {
		return
	}
	out.requiresGrad = true
	out.node = &node{inputs: needed, backward: backward}
}

// keep attaches scratch buffers to out's history; when no history was recorded
// nothing will read them, and they are recycled at once.
func (out *Tensor) keep(f32 [][]float32, i32 [][]int32) {
	if out.node == nil {
		for _, b := range f32 {
			freeF32(b)
		}
		for _, b := range i32 {
			freeI32(b)
		}
		return
	}
	out.node.scratchF32 = append(out.node.scratchF32, f32...)
	out.node.scratchI32 = append(out.node.scratchI32, i32...)
}

// Backward computes the gradient of the scalar t with respect to every tensor
// that t was computed from and that requires gradients, accumulating it into
// their Grad. Call it once per forward pass. The gradients of intermediate
// results are recycled afterwards; call Release when the intermediate results
// themselves are no longer needed.
func (t *Tensor) Backward() {
	if len(t.Data) != 1 {
		panic(fmt.Sprintf("tensor: Backward on a non-scalar of shape %v", t.Shape))
	}
	if !t.requiresGrad {
		panic("tensor: Backward on a tensor that does not require gradients")
	}

	// order the graph so every tensor comes after the tensors it was computed from
	var order []*Tensor
	seen := map[*Tensor]bool{}
	type frame struct {
		t    *Tensor
		next int
	}
	stack := []frame{{t: t}}
	seen[t] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.t.node == nil || top.next == len(top.t.node.inputs) {
			order = append(order, top.t)
			stack = stack[:len(stack)-1]
			continue
		}
		in := top.t.node.inputs[top.next]
		top.next++
		if !seen[in] {
			seen[in] = true
			stack = append(stack, frame{t: in})
		}
	}

	// seed and propagate in reverse order; an intermediate gradient is complete
	// once its own backward function runs, and recycled right after, so that
	// at most a few gradients of activations are alive at once
	t.grad()[0] += 1
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.node == nil {
			continue
		}
		n.grad()
		n.node.backward()
		if n != t {
			freeF32(n.Grad)
			n.Grad = nil
		}
	}
	t.graph = order
}

// Release recycles the storage of every intermediate result that t was
// computed from (after Backward: the graph it visited), including t itself,
// and drops the recorded history. Leaves such as parameters and inputs are
// untouched. Any intermediate tensor of the graph is empty afterwards, so
// read what you need (logits, the loss value) first.
func (t *Tensor) Release() {
	graph := t.graph
	if graph == nil && t.node != nil {
		graph = []*Tensor{t}
		seen := map[*Tensor]bool{t: true}
		for i := 0; i < len(graph); i++ {
			if graph[i].node == nil {
				continue
			}
			for _, in := range graph[i].node.inputs {
				if !seen[in] {
					seen[in] = true
					graph = append(graph, in)
				}
			}
		}
	}
	for _, n := range graph {
		if n.node == nil {
			continue
		}
		for _, b := range n.node.scratchF32 {
			freeF32(b)
		}
		for _, b := range n.node.scratchI32 {
			freeI32(b)
		}
		n.node = nil
		freeF32(n.Grad)
		n.Grad = nil
		n.Free()
	}
	t.graph = nil
}
