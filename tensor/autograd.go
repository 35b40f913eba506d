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

// Backward computes the gradient of the scalar t with respect to every tensor
// that t was computed from and that requires gradients, accumulating it into
// their Grad. Afterwards the recorded history is released, so Backward may be
// called once per forward pass.
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

	// seed and propagate in reverse order
	t.grad()[0] += 1
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.node == nil {
			continue
		}
		n.grad()
		n.node.backward()
	}

	// release the history and the gradients of intermediate results
	for _, n := range order {
		if n.node != nil {
			n.node = nil
			n.Grad = nil
		}
	}
}
